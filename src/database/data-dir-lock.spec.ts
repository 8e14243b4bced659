import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLock } from './data-dir-lock.js';

describe('DataDirLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-lock-'));
  });

  it('creates the folder and a lock file with this process id, removed on release', () => {
    const lock = new DataDirLock(join(dir, 'data'));
    lock.acquire();
    const lockFile = join(dir, 'data', 'chat-server.lock');
    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('refuses a folder held by another live process, naming it', () => {
    writeFileSync(join(dir, 'chat-server.lock'), String(process.ppid));
    expect(() => new DataDirLock(dir).acquire()).toThrow(`in use by process ${process.ppid}`);
  });

  it('takes over the lock of a process that died', () => {
    writeFileSync(join(dir, 'chat-server.lock'), '999999999');
    new DataDirLock(dir).acquire();
    expect(readFileSync(join(dir, 'chat-server.lock'), 'utf8')).toBe(String(process.pid));
  });
});
