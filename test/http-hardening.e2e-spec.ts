// HTTP hardening (issue 9, part 3): brute-force limit on the admin token, deep
// bodies, security headers on the API and on Engine.IO's answers, CORS.
import { request as httpRequest } from 'node:http';
import { sendMessage, VARIANTS } from './support/protocol.js';
import { connectAs } from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './support/test-server.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with full control of headers and of the local (client) address. */
function raw(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
  } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** PUT /admin/users/:id with a token, as a given client (local address and/or X-Forwarded-For). */
function putAdmin(
  server: { url: string },
  token: string,
  client: { localAddress?: string; forwardedFor?: string } = {},
  id = 1,
): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
  };
  if (client.forwardedFor) headers['x-forwarded-for'] = client.forwardedFor;
  return raw(`${server.url}/admin/users/${id}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ name: `User ${id}` }),
    localAddress: client.localAddress,
  });
}

const MAX_FAILURES = 3;
const WINDOW_SECONDS = 2;
const LIMIT_ENV = {
  ADMIN_AUTH_MAX_FAILURES: String(MAX_FAILURES),
  ADMIN_AUTH_WINDOW_SECONDS: String(WINDOW_SECONDS),
};

describe('admin API: wrong tokens are limited per client address', () => {
  describe('without TRUST_PROXY (the TCP peer is the client)', () => {
    const server = useTestServer({ env: LIMIT_ENV });

    it(`answers 401 ${MAX_FAILURES} times, then 429 with Retry-After even for the right token; another address is unaffected`, async () => {
      const attacker = { localAddress: '127.0.0.2' };
      const wrong: number[] = [];
      for (let i = 0; i < MAX_FAILURES; i++) {
        wrong.push((await putAdmin(server, `wrong-token-${i}`, attacker)).status);
      }
      expect(wrong).toEqual(Array(MAX_FAILURES).fill(401));
      const blocked = await putAdmin(server, 'wrong-token-again', attacker);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_SECONDS);
      expect(JSON.parse(blocked.body)).toMatchObject({
        statusCode: 429,
        message: expect.stringMatching(/too many wrong admin tokens/),
      });
      // Blocked means blocked: the right token would otherwise tell a guess from the rest.
      const rightButBlocked = await putAdmin(server, ADMIN_TOKEN, attacker);
      expect(rightButBlocked.status).toBe(429);
      // X-Forwarded-For is not believed without TRUST_PROXY: no way out by sending one.
      const spoofed = await putAdmin(server, ADMIN_TOKEN, {
        ...attacker,
        forwardedFor: '198.51.100.9',
      });
      expect(spoofed.status).toBe(429);
      // The backend, from its own address, goes on.
      expect((await putAdmin(server, ADMIN_TOKEN, { localAddress: '127.0.0.3' })).status).toBe(200);
      const rows = await server.query<{ name: string }>('SELECT name FROM users WHERE id = 1');
      expect(rows).toEqual([{ name: 'User 1' }]);
    });

    it('lets the address try again once the window has passed', async () => {
      const client = { localAddress: '127.0.0.4' };
      for (let i = 0; i < MAX_FAILURES; i++) await putAdmin(server, 'wrong-token', client);
      const blocked = await putAdmin(server, ADMIN_TOKEN, client);
      expect(blocked.status).toBe(429);
      await new Promise((resolve) =>
        setTimeout(resolve, Number(blocked.headers['retry-after']) * 1000 + 200),
      );
      expect((await putAdmin(server, ADMIN_TOKEN, client)).status).toBe(200);
    });

    it('counts the refusals in /metrics', async () => {
      const client = { localAddress: '127.0.0.5' };
      for (let i = 0; i < MAX_FAILURES; i++) await putAdmin(server, 'wrong-token', client);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^chat_refusals_total\{reason="admin_token_wrong"\} [1-9]/m);
      expect(metrics).toMatch(/^chat_refusals_total\{reason="admin_address_blocked"\} [1-9]/m);
    });
  });

  describe('with the default limits (10 wrong tokens a minute)', () => {
    const server = useTestServer({ env: {} });

    it('50 concurrent wrong tokens from one address: at most 10 answered 401, the rest 429', async () => {
      const attacker = { localAddress: '127.0.0.7' };
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => putAdmin(server, `wrong-token-${i}`, attacker)),
      );
      const unauthorized = answers.filter((a) => a.status === 401).length;
      const blocked = answers.filter((a) => a.status === 429).length;
      console.log(
        `50 concurrent wrong admin tokens from one address: ${unauthorized} answered 401, ${blocked} 429, ` +
          `${50 - unauthorized - blocked} other`,
      );
      expect(unauthorized).toBeLessThanOrEqual(10);
      expect(unauthorized + blocked).toBe(50);
      expect((await putAdmin(server, ADMIN_TOKEN, attacker)).status).toBe(429);
      // The backend, hammering with the right token at once from its own address, is never limited.
      const backend = await Promise.all(
        Array.from({ length: 50 }, () =>
          putAdmin(server, ADMIN_TOKEN, { localAddress: '127.0.0.8' }),
        ),
      );
      expect(backend.filter((a) => a.status !== 200)).toEqual([]);
    });
  });

  describe('with TRUST_PROXY=loopback (behind a proxy on this host)', () => {
    const server = useTestServer({ env: { ...LIMIT_ENV, TRUST_PROXY: 'loopback' } });

    it('counts by the X-Forwarded-For address the proxy appended', async () => {
      const attacker = { forwardedFor: '203.0.113.7' };
      for (let i = 0; i < MAX_FAILURES; i++) {
        expect((await putAdmin(server, 'wrong-token', attacker)).status).toBe(401);
      }
      expect((await putAdmin(server, ADMIN_TOKEN, attacker)).status).toBe(429);
      // A client cannot pick its address: the proxy appends the real one after what it sent.
      const spoofed = await putAdmin(server, ADMIN_TOKEN, {
        forwardedFor: '198.51.100.1, 203.0.113.7',
      });
      expect(spoofed.status).toBe(429);
      expect((await putAdmin(server, ADMIN_TOKEN, { forwardedFor: '203.0.113.8' })).status).toBe(
        200,
      );
    });

    it('counts an IPv6 client by its /64', async () => {
      for (let i = 0; i < MAX_FAILURES; i++) {
        await putAdmin(server, 'wrong-token', { forwardedFor: `2001:db8:1:2::${i + 1}` });
      }
      const sameNetwork = await putAdmin(server, ADMIN_TOKEN, {
        forwardedFor: '2001:db8:1:2:ffff:ffff:ffff:ffff',
      });
      expect(sameNetwork.status).toBe(429);
      const otherNetwork = await putAdmin(server, ADMIN_TOKEN, { forwardedFor: '2001:db8:1:3::1' });
      expect(otherNetwork.status).toBe(200);
    });
  });

  const describeRedis = process.env.REDIS_URL ? describe : describe.skip;
  describeRedis('with Redis, across nodes', () => {
    const nodes: TestServer[] = [];
    beforeAll(async () => {
      const env = { ...LIMIT_ENV, REDIS_KEY_PREFIX: `hardening-${process.pid}-${Date.now()}` };
      nodes.push(await startTestServer(env), await startTestServer(env));
    });
    afterAll(async () => {
      for (const node of nodes) await node.close();
    });

    it('a guesser spread over two nodes gets the budget of one', async () => {
      const attacker = { localAddress: '127.0.0.6' };
      const answers: number[] = [];
      for (let i = 0; i < MAX_FAILURES; i++) {
        answers.push((await putAdmin(nodes[i % 2], 'wrong-token', attacker)).status);
      }
      expect(answers).toEqual(Array(MAX_FAILURES).fill(401));
      expect((await putAdmin(nodes[1], ADMIN_TOKEN, attacker)).status).toBe(429);
      expect((await putAdmin(nodes[0], ADMIN_TOKEN, attacker)).status).toBe(429);
    });

    it('30 concurrent wrong tokens spread over two nodes: at most the budget of one answered 401', async () => {
      const attacker = { localAddress: '127.0.0.9' };
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => putAdmin(nodes[i % 2], `wrong-${i}`, attacker)),
      );
      const unauthorized = answers.filter((a) => a.status === 401).length;
      console.log(
        `30 concurrent wrong admin tokens over two nodes (budget ${MAX_FAILURES}): ${unauthorized} answered 401`,
      );
      expect(unauthorized).toBeLessThanOrEqual(MAX_FAILURES);
      expect(answers.filter((a) => a.status !== 401 && a.status !== 429)).toEqual([]);
    });
  });
});

/** `{"a":{"a":...1...}}`, `depth` objects deep. */
function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** helmet's defaults that matter for an API. */
const SECURITY_HEADERS: Record<string, RegExp> = {
  'content-security-policy': /default-src 'self'/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^SAMEORIGIN$/,
  'strict-transport-security': /max-age=\d+/,
  'referrer-policy': /^no-referrer$/,
  'cross-origin-opener-policy': /^same-origin$/,
};

function expectSecurityHeaders(answer: RawAnswer, label: string): void {
  expect([label, answer.headers['x-powered-by']]).toEqual([label, undefined]);
  for (const [name, pattern] of Object.entries(SECURITY_HEADERS)) {
    expect([label, name, answer.headers[name]]).toEqual([
      label,
      name,
      expect.stringMatching(pattern),
    ]);
  }
}

const SOCKET_PATH = '/socket.io/?EIO=4&transport=polling';

function preflight(url: string, origin: string): Promise<RawAnswer> {
  return raw(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
}

describe('with the default settings', () => {
  const server = useTestServer({
    users: [
      [1, 'Alice'],
      [2, 'Bob'],
    ],
  });

  describe('admin API: deeply nested bodies', () => {
    const put = (body: string, token = ADMIN_TOKEN) =>
      raw(`${server.url}/admin/users/1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });

    it.each([
      ['10,000 levels of objects', `{"name":"Alice","extra":${deepObject(10_000)}}`],
      [
        '10,000 levels of arrays',
        `{"name":"Alice","image":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      ],
      ['100 levels', `{"name":"Alice","extra":${deepObject(100)}}`],
      ['33 levels', deepObject(33)],
    ])('%s: 400 saying so, nothing stored', async (_label, body) => {
      const answer = await put(body);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({
        statusCode: 400,
        message: 'request body is nested too deeply (more than 32 levels)',
      });
      expect(await server.query('SELECT name FROM users WHERE id = 1')).toEqual([
        { name: 'Alice' },
      ]);
    });

    it('a shallow extra field is still dropped and the profile stored', async () => {
      const answer = await put(`{"name":"Alicia","extra":${deepObject(5)}}`);
      expect(answer.status).toBe(200);
      expect(await server.query('SELECT name FROM users WHERE id = 1')).toEqual([
        { name: 'Alicia' },
      ]);
    });
  });

  describe('security headers', () => {
    it('every HTTP API answer has them and no X-Powered-By', async () => {
      const answers: Array<[string, RawAnswer]> = [
        ['GET /health', await raw(`${server.url}/health`)],
        ['GET /metrics', await raw(`${server.url}/metrics`)],
        ['GET /nowhere (404)', await raw(`${server.url}/nowhere`)],
        [
          'PUT /admin/users/1 without token (401)',
          await putAdmin(server, 'not-the-token', {
            localAddress: '127.0.0.9',
          }),
        ],
        ['PUT /admin/users/1', await putAdmin(server, ADMIN_TOKEN)],
      ];
      for (const [label, answer] of answers) expectSecurityHeaders(answer, label);
    });

    it("Engine.IO's own answers have them too (v4 and v3 handshakes, errors)", async () => {
      const path = `${server.url}/socket.io/`;
      for (const [label, url] of [
        ['EIO=4 polling handshake', `${path}?EIO=4&transport=polling`],
        ['EIO=3 polling handshake', `${path}?EIO=3&transport=polling`],
        ['unknown session', `${path}?EIO=4&transport=polling&sid=nope`],
      ]) {
        const answer = await raw(url);
        expect([label, answer.status]).toEqual([label, label === 'unknown session' ? 400 : 200]);
        expectSecurityHeaders(answer, label);
      }
    });

    it.each(VARIANTS)('$name clients still connect and chat', async ({ version, transport }) => {
      const alice = await connectAs(server.url, 1, { version, transport });
      const bob = await connectAs(server.url, 2, { version, transport });
      const row = await sendMessage(alice, {
        senderId: 1,
        receiverId: 2,
        messageType: 0,
        message: 'hi',
      });
      expect(row).toMatchObject({ senderId: 1, receiverId: 2, message: 'hi' });
      expect(bob.connected).toBe(true);
    });
  });

  describe('CORS by default (CORS_ORIGIN unset)', () => {
    it('any origin may use the Socket.IO path, never with credentials', async () => {
      const origin = 'https://anywhere.example';
      const before = await preflight(`${server.url}${SOCKET_PATH}`, origin);
      expect(before.status).toBe(204);
      expect(before.headers['access-control-allow-origin']).toBe('*');
      expect(before.headers['access-control-allow-credentials']).toBeUndefined();
      const handshake = await raw(`${server.url}${SOCKET_PATH}`, { headers: { origin } });
      expect(handshake.status).toBe(200);
      expect(handshake.headers['access-control-allow-origin']).toBe('*');
      expect(handshake.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('the HTTP API answers no browser origin', async () => {
      const origin = 'https://anywhere.example';
      const answers = [
        await preflight(`${server.url}/admin/users/1`, origin),
        await raw(`${server.url}/health`, { headers: { origin } }),
      ];
      for (const answer of answers) {
        expect(answer.headers['access-control-allow-origin']).toBeUndefined();
        expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });
  });
});

describe('CORS', () => {
  describe('with CORS_ORIGIN listing origins', () => {
    const listed = ['https://app.example', 'http://localhost:3000'];
    const server = useTestServer({ env: { CORS_ORIGIN: listed.join(', ') } });

    it('a listed origin gets itself back, with credentials', async () => {
      for (const origin of listed) {
        const before = await preflight(`${server.url}${SOCKET_PATH}`, origin);
        expect([origin, before.status]).toEqual([origin, 204]);
        expect(before.headers['access-control-allow-origin']).toBe(origin);
        expect(before.headers['access-control-allow-credentials']).toBe('true');
        const handshake = await raw(`${server.url}${SOCKET_PATH}`, { headers: { origin } });
        expect(handshake.headers['access-control-allow-origin']).toBe(origin);
        expect(handshake.headers['access-control-allow-credentials']).toBe('true');
        expect(String(handshake.headers.vary)).toMatch(/Origin/i);
      }
    });

    it('any other origin gets no CORS headers (the browser refuses to read)', async () => {
      for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'null']) {
        const before = await preflight(`${server.url}${SOCKET_PATH}`, origin);
        expect([origin, before.headers['access-control-allow-origin']]).toEqual([
          origin,
          undefined,
        ]);
        const handshake = await raw(`${server.url}${SOCKET_PATH}`, { headers: { origin } });
        expect([origin, handshake.headers['access-control-allow-origin']]).toEqual([
          origin,
          undefined,
        ]);
        expect(handshake.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('the HTTP API answers no browser origin, listed or not', async () => {
      const answer = await preflight(`${server.url}/admin/users/1`, listed[0]);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('non-browser clients (no Origin) are unaffected', async () => {
      await server.createUser(1, 'Alice');
      for (const { version, transport } of VARIANTS) {
        const socket = await connectAs(server.url, 1, { version, transport });
        expect(socket.connected).toBe(true);
      }
    });
  });
});
