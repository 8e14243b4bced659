// The web console's own endpoints (issue 13, part 2; README "Console"): the
// page and its bundle at /console, GET /admin/overview across nodes,
// GET /admin/console/settings and POST /admin/console/chat-token in every
// AUTH_MODE. The console in a browser is test/console.e2e-spec.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { eventually, request, text } from './support/protocol.js';
import { closeAllSockets, connect, connectAs } from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './support/test-server.js';
import { keyPair, SECRET } from './support/tokens.js';

const ROOT = join(import.meta.dirname, '..');

interface Overview {
  multiNode: boolean;
  nodes: Array<{
    id: string;
    self: boolean;
    sockets: number;
    boundUsers: number;
    messagesTotal: number;
    messagesPerSecond: number;
    redisUp: boolean | null;
    push: unknown;
  }>;
  totals: { sockets: number; boundUsers: number; messagesPerSecond: number };
  push: unknown;
}

function admin(
  server: { url: string },
  path: string,
  init: { method?: string; body?: unknown; token?: string | null } = {},
): Promise<Response> {
  const token = init.token === undefined ? ADMIN_TOKEN : init.token;
  return fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function json<T = any>(answer: Promise<Response>, status = 200): Promise<T> {
  const response = await answer;
  const body = await response.text();
  expect({ status: response.status, body }).toEqual({ status, body: expect.any(String) });
  return JSON.parse(body) as T;
}

beforeAll(() => {
  // The page is served from dist/web/console (npm run build makes it).
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}${built.stderr}`);
});

describe('console endpoints (legacy mode)', () => {
  const server = useTestServer({
    users: [
      [1, 'Alice'],
      [2, 'Bob'],
    ],
  });

  it('answers 401 without the admin token', async () => {
    for (const [method, path] of [
      ['GET', '/admin/overview'],
      ['GET', '/admin/console/settings'],
      ['POST', '/admin/console/chat-token'],
    ]) {
      const body = method === 'POST' ? { userId: 1 } : undefined;
      const response = await admin(server, path, { method, token: null, body });
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
      const wrong = await admin(server, path, { method, token: 'wrong-token', body });
      expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
    }
  });

  it('serves the page and its bundle with a strict policy, and nothing else', async () => {
    const page = await fetch(`${server.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    // No inline script or style: everything is a file of the bundle.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect((await fetch(`${server.url}/console/`)).status).toBe(200);

    const script = await fetch(`${server.url}/console/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('content-security-policy')).toBe(csp);
    const bundle = await script.text();
    // socket.io-client and Preact are in it; no URL of another host is loaded from it.
    expect(bundle).toContain('connect_user');
    expect((await fetch(`${server.url}/console/console.css`)).status).toBe(200);

    for (const path of [
      '/console/nope.js',
      '/console/..%2Fmain.js',
      '/console/%2e%2e%2fpackage.json',
      '/console/index.html.map',
    ]) {
      expect({ path, status: (await fetch(`${server.url}${path}`)).status }).toEqual({
        path,
        status: 404,
      });
    }
  });

  it('documents its admin endpoints in the OpenAPI document, and not the page', async () => {
    const document = await json<{ paths: Record<string, unknown> }>(
      admin(server, '/admin/docs-json'),
    );
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/admin/overview',
        '/admin/console/settings',
        '/admin/console/chat-token',
      ]),
    );
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
  });

  it('says what the console needs to connect', async () => {
    const settings = await json(admin(server, '/admin/console/settings'));
    expect(settings).toEqual({
      authMode: 'legacy',
      chatIdentity: 'none',
      socketPath: '/socket.io',
      suggestedUsers: [],
    });
  });

  it('gives a chat pane the profile and no token in legacy mode; refuses unknown users and bad bodies', async () => {
    expect(
      await json(
        admin(server, '/admin/console/chat-token', { method: 'POST', body: { userId: 2 } }),
      ),
    ).toEqual({
      userId: 2,
      name: 'Bob',
      image: '',
      token: null,
      expiresAt: null,
    });
    await json(
      admin(server, '/admin/console/chat-token', { method: 'POST', body: { userId: 9 } }),
      404,
    );
    for (const body of [
      {},
      { userId: 0 },
      { userId: 'x' },
      { userId: 2147483648 },
      { userId: 1.5 },
    ]) {
      const response = await admin(server, '/admin/console/chat-token', { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
  });

  it('counts sockets, bound users and stored messages in the overview', async () => {
    const before = await json<Overview>(admin(server, '/admin/overview'));
    expect(before.nodes).toHaveLength(1);
    expect(before.nodes[0]).toMatchObject({ self: true, sockets: 0, boundUsers: 0 });
    const stored = before.nodes[0].messagesTotal;

    const alice = await connectAs(server.url, 1);
    const bob = await connectAs(server.url, 2);
    await connect(server.url); // not bound to anyone
    const sent = (message: string) => (row: { message?: string }) => row.message === message;
    await request(alice, 'send_message', text(1, 2, 'one'), 'new_message', sent('one'));
    await request(bob, 'send_message', text(2, 1, 'two'), 'new_message', sent('two'));

    const after = await json<Overview>(admin(server, '/admin/overview'));
    expect(after.nodes[0]).toMatchObject({
      self: true,
      sockets: 3,
      boundUsers: 2,
      messagesTotal: stored + 2,
    });
    expect(after.totals).toMatchObject({ sockets: 3, boundUsers: 2 });
    expect(after.totals.messagesPerSecond).toBeGreaterThan(0);
    expect(after.nodes[0].redisUp).toBe(process.env.REDIS_URL ? true : null);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    // The push queue shows when the build has one (issue 12's chat_push_* metrics).
    if (metrics.includes('chat_push_queue_age_seconds')) {
      expect(after.push).toMatchObject({
        oldestAgeSeconds: expect.any(Number),
        queued: expect.any(Number),
        sent: expect.any(Number),
        deadLettered: expect.any(Number),
      });
    } else {
      expect(after.push).toBeNull();
    }
    expect(metrics).toContain('chat_connected_sockets 3');
    expect(metrics).toContain(`chat_messages_persisted_total ${stored + 2}`);
  });
});

describe('without ADMIN_TOKEN', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ADMIN_TOKEN: '' });
  });
  afterAll(() => server.close());

  it('has no console and no console endpoints (404)', async () => {
    for (const path of [
      '/console',
      '/console/console.js',
      '/admin/overview',
      '/admin/console/settings',
    ]) {
      const response = await admin(server, path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });
});

describe('chat tokens in token modes', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await closeAllSockets();
    for (const server of servers) await server.close();
  });

  it('AUTH_MODE=required with AUTH_JWT_SECRET: mints a 15-minute token the handshake accepts', async () => {
    const server = await startTestServer({
      AUTH_MODE: 'required',
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: 'https://id.example',
      AUTH_JWT_AUDIENCE: 'chat',
      DEMO_USERS: 'true',
    });
    servers.push(server);
    await server.reset();
    await server.createUser(1, 'Alice');
    await server.createUser(2, 'Bob');
    expect(await json(admin(server, '/admin/console/settings'))).toMatchObject({
      authMode: 'required',
      chatIdentity: 'minted',
      suggestedUsers: [
        { id: 1, name: 'Alice' },
        { id: 2, name: 'Bob' },
        { id: 3, name: 'Carol' },
      ],
    });
    const answer = await json(
      admin(server, '/admin/console/chat-token', { method: 'POST', body: { userId: 1 } }),
    );
    expect(answer).toMatchObject({ userId: 1, name: 'Alice', token: expect.any(String) });
    const claims = decodeJwt(answer.token as string);
    expect(claims).toMatchObject({ sub: '1', iss: 'https://id.example', aud: 'chat' });
    expect(claims.exp! - claims.iat!).toBe(15 * 60);
    expect(answer.expiresAt).toBe(claims.exp);
    // An admin speaking as a user is in the audit trail (written after the answer: poll briefly).
    let minted: unknown[] = [];
    for (let i = 0; i < 50 && minted.length === 0; i++) {
      const page = await json<{ entries: Array<{ action: string; userId: number }> }>(
        admin(server, '/admin/audit?userId=1'),
      );
      minted = page.entries.filter((entry) => entry.action === 'console.chat_token_minted');
      if (minted.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(minted).toEqual([
      expect.objectContaining({
        action: 'console.chat_token_minted',
        userId: 1,
        details: { expiresAt: claims.exp },
      }),
    ]);

    // The token binds its socket at connect (no connect_user needed), and only to user 1.
    const alice = await connect(server.url, { auth: { token: answer.token } });
    const bob = await connect(server.url, {
      auth: {
        token: (
          await json(
            admin(server, '/admin/console/chat-token', { method: 'POST', body: { userId: 2 } }),
          )
        ).token,
      },
    });
    const row = await request(
      alice,
      'send_message',
      text(1, 2, 'hi from a console token'),
      'new_message',
    );
    expect(row).toMatchObject({ senderId: 1, receiverId: 2 });
    await request(bob, 'get_message', { senderId: 2, receiverId: 1 });
  });

  it('AUTH_MODE=optional with a public key: no token, the pane connects tokenless', async () => {
    const pair = await keyPair('ES256');
    const server = await startTestServer({
      AUTH_MODE: 'optional',
      AUTH_JWT_PUBLIC_KEY: pair.publicPem,
    });
    servers.push(server);
    await server.reset();
    await server.createUser(1, 'Alice');
    expect(await json(admin(server, '/admin/console/settings'))).toMatchObject({
      authMode: 'optional',
      chatIdentity: 'none',
    });
    expect(
      await json(
        admin(server, '/admin/console/chat-token', { method: 'POST', body: { userId: 1 } }),
      ),
    ).toMatchObject({
      token: null,
    });
  });

  it('AUTH_MODE=required with a public key: the console cannot chat (409, saying why)', async () => {
    const pair = await keyPair('ES256');
    const server = await startTestServer({
      AUTH_MODE: 'required',
      AUTH_JWT_PUBLIC_KEY: pair.publicPem,
    });
    servers.push(server);
    await server.reset();
    await server.createUser(1, 'Alice');
    expect(await json(admin(server, '/admin/console/settings'))).toMatchObject({
      chatIdentity: 'unavailable',
    });
    const refused = await json(
      admin(server, '/admin/console/chat-token', { method: 'POST', body: { userId: 1 } }),
      409,
    );
    expect(refused.message).toMatch(/cannot sign chat tokens/);
  });
});

// Several nodes share one Redis (REDIS_URL set: the Postgres pass of .ci/run).
const describeWithRedis = process.env.REDIS_URL ? describe : describe.skip;

describeWithRedis('overview across two nodes', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await closeAllSockets();
    for (const server of servers) await server.close();
  });

  it('lists every node with its own sockets, and adds them up', async () => {
    const prefix = `console-${process.pid}-${randomUUID()}`;
    servers.push(await startTestServer({ REDIS_KEY_PREFIX: prefix }));
    servers.push(await startTestServer({ REDIS_KEY_PREFIX: prefix }));
    const [a, b] = servers;
    await a.reset();
    await a.createUser(1);
    await a.createUser(2);
    await connectAs(a.url, 1);
    await connectAs(b.url, 2);
    await connect(b.url);

    await eventually(async () => {
      const overview = await json<Overview>(admin(a, '/admin/overview'));
      expect(overview.multiNode).toBe(true);
      expect(overview.nodes.map((node) => [node.self, node.sockets, node.boundUsers])).toEqual([
        [true, 1, 1],
        [false, 2, 1],
      ]);
      expect(overview.totals).toMatchObject({ sockets: 3, boundUsers: 2 });
      expect(overview.nodes.every((node) => node.redisUp === true)).toBe(true);
    });
    const fromB = await json<Overview>(admin(b, '/admin/overview'));
    expect(fromB.nodes.map((node) => node.sockets)).toEqual([2, 1]);
    expect(new Set(fromB.nodes.map((node) => node.id)).size).toBe(2);
  });
});
