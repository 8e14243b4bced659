// Real server processes (`node dist/main.js`) for tests that need several nodes,
// signals or a kill: the multi-node and graceful-shutdown specs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { closeAllSockets } from './sockets.js';
import { ADMIN_TOKEN } from './test-server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles src/ to dist/ when dist/main.js is missing or older than a source file. */
export function ensureBuilt(): void {
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ServerProcess {
  url: string;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** What the process wrote, for failure messages. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
  /** The exit code, or the signal that ended it, or null while it runs. */
  exitCode(): number | string | null;
  createUser(id: number, name?: string): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node dist/main.js` with `env` on a free port and waits for /health 200
 * (or, with `healthy: false`, for any answer: a node started degraded says 503).
 */
export async function startServerProcess(
  env: Record<string, string>,
  { healthy = true }: { healthy?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ADMIN_TOKEN, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited at start-up:\n${output}`);
    try {
      const { status } = await fetch(`${url}/health`);
      if (status === 200 || !healthy) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server not healthy within 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    exited,
    output: () => output,
    kill: (signal) => child.kill(signal),
    exitCode: () => child.exitCode ?? child.signalCode,
    async createUser(id, name = `User ${id}`) {
      const response = await fetch(`${url}/admin/users/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ name, image: '' }),
      });
      if (response.status !== 200) throw new Error(`createUser(${id}): ${response.status}`);
    },
  };
}

/** Kills whatever server process a test left running (after a failure). */
export async function killAllServerProcesses(): Promise<void> {
  const exits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(exits);
}

/** The machine's Postgres server (not a database): MULTINODE_POSTGRES_URL or the local default. */
export const POSTGRES_SERVER_URL =
  process.env.MULTINODE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_SERVER_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${POSTGRES_SERVER_URL}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new empty database on the machine's Postgres, for processes that must share one. */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chat_test_${process.pid}_${Date.now()}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  return {
    url: `${POSTGRES_SERVER_URL}/${name}`,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * SKIP_PROCESS_SPECS=1 skips the specs that start server processes: they bring
 * their own databases, so .ci/run runs them in one of its two passes only.
 */
export function skipProcessSpecs(): boolean {
  if (process.env.SKIP_PROCESS_SPECS !== '1') return false;
  console.warn('SKIPPED (SKIP_PROCESS_SPECS=1): specs that start server processes');
  return true;
}

/**
 * Whether the machine's Postgres and Redis answer. Specs that need them skip
 * when they do not, except in CI (CI=true), where that is a failure.
 */
export async function sharedServicesAvailable(): Promise<boolean> {
  if (skipProcessSpecs()) return false;
  const problems: string[] = [];
  try {
    await adminQuery('SELECT 1');
  } catch (error) {
    problems.push(`Postgres at ${POSTGRES_SERVER_URL}: ${String(error)}`);
  }
  const redis = new Redis(REDIS_SERVER_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis at ${REDIS_SERVER_URL}: ${String(error)}`);
  } finally {
    redis.disconnect();
  }
  if (problems.length === 0) return true;
  const message = `multi-process tests need ${problems.join('; ')}`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

/** Runs `node dist/main.js` with `env` until it exits by itself (a start-up failure). */
export async function runServerUntilExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: 'memory://', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

export interface Cluster {
  nodes: ServerProcess[];
  databaseUrl: string;
  /** Closes the test's sockets, kills the processes and drops the database. */
  stop(): Promise<void>;
}

/**
 * `count` server processes sharing a new scratch database and one Redis key
 * space, with `env` added. They start all at once on the empty database, as
 * `docker compose up` does: the migration lock lets one migrate while the
 * others wait.
 */
export async function startCluster(
  count: number,
  env: Record<string, string> = {},
): Promise<Cluster> {
  ensureBuilt();
  const database = await createScratchDatabase();
  const stop = async () => {
    await closeAllSockets();
    await killAllServerProcesses();
    await database.drop();
  };
  const shared = {
    DATABASE_URL: database.url,
    REDIS_URL: REDIS_SERVER_URL,
    REDIS_KEY_PREFIX: `cluster-${randomUUID()}`,
    ...env,
  };
  try {
    const nodes = await Promise.all(
      Array.from({ length: count }, () => startServerProcess(shared)),
    );
    return { nodes, databaseUrl: database.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
