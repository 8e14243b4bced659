import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * PGlite lets only one process open a data directory at a time; a second one
 * would corrupt it. This lock file turns that into a clear start-up error.
 */
export class DataDirLock {
  private readonly lockPath: string;
  private held = false;

  constructor(dataDir: string) {
    this.lockPath = join(resolve(dataDir), 'chat-server.lock');
  }

  acquire(): void {
    mkdirSync(resolve(this.lockPath, '..'), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number(readFileSync(this.lockPath, 'utf8'));
        if (owner && owner !== process.pid && isAlive(owner)) {
          throw new Error(
            `The embedded database in ${resolve(this.lockPath, '..')} is in use by process ${owner}. ` +
              'Stop that server first, or set DATA_DIR to another folder (or DATABASE_URL to a Postgres).',
          );
        }
        rmSync(this.lockPath, { force: true }); // stale lock of a process that died
      }
    }
  }

  release(): void {
    if (!this.held) return;
    rmSync(this.lockPath, { force: true });
    this.held = false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
