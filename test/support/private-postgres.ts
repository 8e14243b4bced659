// A Postgres server of the test's own (initdb into a temporary folder, on a
// free port, trust authentication), for tests that stop and start it: the
// machine's Postgres is shared and must never be stopped. Stopped by its PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server-process.js';
import { sleep } from './sockets.js';

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** The newest installed Postgres's bin folder, or undefined. */
export function postgresBinaries(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((version) => existsSync(join(POSTGRES_ROOT, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(POSTGRES_ROOT, versions[0], 'bin') : undefined;
}

/**
 * Whether a private Postgres can be started here; false (with a warning) when
 * not, except under CI=true, where that is a failure.
 */
export function privatePostgresAvailable(): boolean {
  if (postgresBinaries()) return true;
  const message = `tests that stop Postgres need its binaries in ${POSTGRES_ROOT}/<version>/bin`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Fast shutdown (SIGINT to the postmaster): sessions end, committed work is kept. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (whatever state it is in) and deletes its folder. */
  destroy(): Promise<void>;
}

/** Root may not run Postgres: run its programs as the `postgres` user then. */
function asPostgresUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [bin, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args]];
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error(`no Postgres binaries in ${POSTGRES_ROOT}`);
  const dir = mkdtempSync(join(tmpdir(), 'chat-pg-'));
  const dataDir = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  const [initdb, initArgs] = asPostgresUser(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const init = spawnSync(initdb, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    const [postgres, args] = asPostgresUser(join(bin, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=60',
    ]);
    child = spawn(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`private Postgres did not start:\n${output}`);
      }
      await sleep(100);
    }
  };

  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGINT');
    const timer = setTimeout(() => running.kill('SIGQUIT'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);
  return { uid: id('-u'), gid: id('-g') };
}
