// Start-up validation and structured logs of the built server (issue "Run as
// many nodes as needed", point 4): an invalid setting stops the process with a
// message naming the variable; logs are JSON lines carrying a correlation id
// per HTTP request and per socket event.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import ioV2 from 'socket.io-client-v2';
import { request } from './support/protocol.js';
import {
  createScratchDatabase,
  ensureBuilt,
  freePort,
  killAllServerProcesses,
  runServerUntilExit,
  sharedServicesAvailable,
  skipProcessSpecs,
  startServerProcess,
} from './support/server-process.js';
import { closeAllSockets, connect, connectAs, sleep } from './support/sockets.js';
import { ADMIN_TOKEN } from './support/test-server.js';

const describeProcesses = skipProcessSpecs() ? describe.skip : describe;

beforeAll(() => {
  if (!skipProcessSpecs()) ensureBuilt();
}, 60_000);
afterAll(async () => {
  await closeAllSockets();
  await killAllServerProcesses();
});

describeProcesses('start-up validation', () => {
  it.each([
    ['PORT', 'abc'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['PRESENCE_TTL_MS', '5'],
    ['SHUTDOWN_TIMEOUT_MS', '-1'],
    ['DATABASE_URL', 'mysql://root@127.0.0.1/test'],
  ])('%s=%p stops the server with exit code 1, naming the variable', async (name, value) => {
    const { code, output } = await runServerUntilExit({ [name]: value });
    expect(code).toBe(1);
    expect(output).toContain(`Invalid configuration: ${name}`);
  });
});

describeProcesses('JSON logs with correlation ids', () => {
  it('logs HTTP requests with their X-Request-Id and socket events with an eventId', async () => {
    const server = await startServerProcess({ LOG_LEVEL: 'debug', DATA_DIR: 'memory://' });
    await server.createUser(1, 'Alice');
    await server.createUser(2, 'Bob');
    const response = await fetch(`${server.url}/admin/users/3`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'x-request-id': 'trace-admin-3',
      },
      body: JSON.stringify({ name: 'Carol' }),
    });
    expect(response.status).toBe(200);
    const alice = await connectAs(server.url, 1);
    await request(alice, 'send_message', {
      senderId: 1,
      receiverId: 2,
      message: 'logged',
      messageType: 0,
    });
    await closeAllSockets();
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, any>);
    // The request's completion line (the audit line logged while handling it carries the id too).
    const adminLine = entries.find((e) => e.req?.id === 'trace-admin-3' && e.res);
    expect(adminLine).toMatchObject({ req: { method: 'PUT', url: '/admin/users/3' } });
    expect(entries.find((e) => e.context === 'Audit' && e.userId === 3)).toMatchObject({
      req: { id: 'trace-admin-3' },
      actor: 'admin',
      action: 'user.profile_saved',
      userId: 3,
    });
    expect(adminLine?.res?.statusCode).toBe(200);
    const sendLine = entries.find(
      (e) => e.event === 'send_message' && e.context === 'SocketEvents',
    );
    expect(sendLine).toMatchObject({
      userId: 1,
      msg: expect.stringMatching(/^send_message: ok in /),
    });
    expect(sendLine?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    // Each event has its own id.
    const bindLine = entries.find(
      (e) => e.event === 'connect_user' && e.context === 'SocketEvents',
    );
    expect(bindLine?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bindLine?.eventId).not.toBe(sendLine?.eventId);
  }, 60_000);
});

/** A private redis-server on a free port, to be killed by the test (never the machine's). */
async function startPrivateRedis(): Promise<{ url: string; kill(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (attempt > 50) throw error;
      await sleep(100);
    } finally {
      probe.disconnect();
    }
  }
  return {
    url,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

describeWithServices('every output line is one JSON object (Postgres, Redis)', () => {
  it('database pool errors, Redis errors, warnings, rejections and secrets in query strings', async () => {
    const secrets = ['sekret-in-token', 'sekret-in-access-token', 'sekret-in-api-key', 'sekret-v2'];
    const database = await createScratchDatabase();
    const redis = await startPrivateRedis();
    // Sends a process warning and leaves a rejection unhandled on SIGUSR2.
    const dir = mkdtempSync(join(tmpdir(), 'chat-logs-'));
    const preload = join(dir, 'faults.mjs');
    writeFileSync(
      preload,
      `process.on('SIGUSR2', () => {
        process.emitWarning('something is deprecated', 'DeprecationWarning', 'DEP_TEST');
        Promise.reject(new Error('nobody awaited this'));
      });\n`,
    );
    try {
      const server = await startServerProcess({
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `logs-${process.pid}`,
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '3000',
        NODE_OPTIONS: `--import=${preload}`,
      });
      await server.createUser(1, 'Alice');

      // Secrets in query strings: a logged 401, a logged 404, Engine.IO's own requests.
      const wrongToken = await fetch(`${server.url}/admin/users/1?token=${secrets[0]}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' },
        body: '{"name":"Mallory"}',
      });
      expect(wrongToken.status).toBe(401);
      const notFound = await fetch(
        `${server.url}/nowhere?access_token=${secrets[1]}&apiKey=${secrets[2]}&since=42`,
      );
      expect(notFound.status).toBe(404);
      const v2 = ioV2(server.url, {
        transports: ['polling'],
        forceNew: true,
        reconnection: false,
        query: { token: secrets[3] },
      });
      await new Promise<void>((resolve, reject) => {
        v2.on('connect', () => resolve());
        v2.on('connect_error', reject);
      });
      v2.close();
      const alice = await connect(server.url);
      alice.close();

      // node-postgres pool errors: every pooled connection is ended by the database.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await admin.end();
      await sleep(300);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);

      server.kill('SIGUSR2');
      await sleep(300);
      // ioredis errors: Redis goes away.
      await redis.kill();
      await sleep(1500);
      server.kill('SIGTERM');
      await server.exited;

      const output = server.output();
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      const notJson = lines.filter((line) => {
        try {
          const value: unknown = JSON.parse(line);
          return value === null || typeof value !== 'object' || Array.isArray(value);
        } catch {
          return true;
        }
      });
      expect(notJson).toEqual([]);
      for (const secret of secrets)
        expect([secret, output.includes(secret)]).toEqual([secret, false]);

      const entries = lines.map((line) => JSON.parse(line) as Record<string, any>);
      const find = (match: (entry: Record<string, any>) => boolean, what: string) => {
        const entry = entries.find(match);
        if (!entry) throw new Error(`no log line for ${what} in:\n${output}`);
        return entry;
      };
      find((e) => e.context === 'Database' && /pool raised an error/.test(e.msg), 'the pool error');
      find(
        (e) => e.context === 'Redis' && /Redis is unreachable|Redis error/.test(e.msg),
        'the Redis outage',
      );
      find(
        (e) => e.context === 'Process' && e.level === 40 && /something is deprecated/.test(e.msg),
        'the warning',
      );
      find(
        (e) => e.context === 'Process' && e.level === 50 && /nobody awaited this/.test(e.msg),
        'the unhandled rejection',
      );
      const adminLine = find((e) => e.res?.statusCode === 401, 'the 401');
      expect(adminLine.req).toMatchObject({
        url: '/admin/users/1?token=[Redacted]',
        query: { token: '[Redacted]' },
      });
      const notFoundLine = find((e) => e.res?.statusCode === 404, 'the 404');
      expect(notFoundLine.req.url).toBe(
        '/nowhere?access_token=[Redacted]&apiKey=[Redacted]&since=42',
      );
    } finally {
      await killAllServerProcesses();
      await redis.kill().catch(() => undefined);
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
