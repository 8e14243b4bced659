// Token identity (issue 9, part 1; README "Security"; contract, "Extensions"):
// the impersonation table in each AUTH_MODE, where the token travels, the bind
// at connect, expiry while connected, and chat_binds_total. Written from the
// issue and the contract.
import ioV2 from 'socket.io-client-v2';
import { ANSWER, expectException, request, snapshot, text } from './support/protocol.js';
import {
  describeOutcome,
  ImpersonationTable,
  attempt,
  tryConnect,
  unchangedAround,
  type Outcome,
} from './support/impersonation.js';
import {
  collect,
  connect,
  connectAs,
  sleep,
  waitFor,
  type ConnectOptions,
  type TestSocket,
} from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import type { TestServer } from './support/test-server.js';
import { hs256, keyPair, OTHER_SECRET, SECRET, signed, unsigned } from './support/tokens.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const UNKNOWN = 99;
const ISSUER = 'https://id.example.com';
const AUDIENCE = 'chat';

type Mode = 'legacy' | 'optional' | 'required';
const TOKEN_ENV = {
  AUTH_JWT_SECRET: SECRET,
  AUTH_JWT_ISSUER: ISSUER,
  AUTH_JWT_AUDIENCE: AUDIENCE,
};
const ENV: Record<Mode, Record<string, string>> = {
  legacy: {}, // the default: no AUTH_* at all
  optional: { AUTH_MODE: 'optional', ...TOKEN_ENV },
  required: { AUTH_MODE: 'required', ...TOKEN_ENV },
};

/** A valid token of this suite's provider for `sub`, unless `claims`/`options` spoil it. */
function token(
  sub: string | undefined,
  options: Parameters<typeof hs256>[1] = {},
  secret = SECRET,
): Promise<string> {
  return hs256(secret, {
    expiresIn: 300,
    ...options,
    claims: {
      ...(sub === undefined ? {} : { sub }),
      iss: ISSUER,
      aud: AUDIENCE,
      ...options.claims,
    },
  });
}

/** A valid request of each event with acting user `me` and other party `other`. */
function payload(event: string, me: number, other: number): Record<string, unknown> {
  switch (event) {
    case 'send_message':
      return text(me, other, 'impersonated');
    case 'get_message':
    case 'delete_chat':
      return { senderId: me, receiverId: other };
    case 'chat_listing':
      return { userId: me };
    case 'block_user':
      return { userId: me, user2Id: other, status: '1' };
    case 'report_user':
      return { userId: me, user2Id: other, comment: 'spam' };
    case 'read_unread':
      return { userId: me, user2Id: other };
    case 'connect_user':
      return { userId: me };
    default:
      throw new Error(`no payload for ${event}`);
  }
}

const ACTING_EVENTS = [
  'send_message',
  'get_message',
  'delete_chat',
  'chat_listing',
  'block_user',
  'report_user',
  'read_unread',
];

interface Context {
  server: TestServer;
  mode: Mode;
  /** A socket acting as `userId` the way this mode's apps do (connect_user, or a token). */
  actAs(userId: number): Promise<TestSocket>;
}

interface Expectation {
  kind: Outcome['kind'];
  message?: RegExp;
}

interface Case {
  name: string;
  run(context: Context): Promise<Outcome>;
  expected(mode: Mode): Expectation;
}

const refusedAtConnect = (message: RegExp): Expectation => ({
  kind: 'refused at connect',
  message,
});
/** Token modes refuse at connect; legacy mode ignores tokens, so the socket connects. */
const tokenModesRefuse =
  (message: RegExp) =>
  (mode: Mode): Expectation =>
    mode === 'legacy' ? { kind: 'accepted' } : refusedAtConnect(message);

/** A handshake carrying `badToken` (auth.token unless `via` says otherwise). */
function handshakeCase(
  name: string,
  badToken: () => Promise<string>,
  message: RegExp,
  via: ConnectOptions | ((token: string) => ConnectOptions) = (t) => ({ auth: { token: t } }),
): Case {
  return {
    name,
    async run({ server }) {
      const value = await badToken();
      return (await tryConnect(server.url, typeof via === 'function' ? via(value) : via)).outcome;
    },
    expected: tokenModesRefuse(message),
  };
}

/** Where a token travels, per client (contract, "Extensions"). */
const CARRIERS: Array<[string, (token: string) => ConnectOptions]> = [
  ['v4 websocket, auth.token', (t) => ({ auth: { token: t } })],
  ['v4 polling, auth.token', (t) => ({ transport: 'polling', auth: { token: t } })],
  ['v4 websocket, Bearer header', (t) => ({ headers: { authorization: `Bearer ${t}` } })],
  [
    'v4 polling, Bearer header',
    (t) => ({ transport: 'polling', headers: { authorization: `Bearer ${t}` } }),
  ],
  ['v2 websocket, token query', (t) => ({ version: 'v2', query: { token: t } })],
  [
    'v2 polling, token query',
    (t) => ({ version: 'v2', transport: 'polling', query: { token: t } }),
  ],
];

const NOT_THIS_SOCKETS_USER = /must be the user this socket is connected as \(1\)/;

const CASES: Case[] = [
  // Acting as someone else on a socket that is (rightly) Alice's.
  ...ACTING_EVENTS.map<Case>((event) => ({
    name: `${event} naming Bob as acting user`,
    async run({ actAs }) {
      const alice = await actAs(ALICE);
      return attempt(alice, event, payload(event, BOB, CAROL), ANSWER[event]);
    },
    expected: () => ({ kind: 'refused', message: NOT_THIS_SOCKETS_USER }),
  })),
  {
    name: 'connect_user naming Bob on a socket acting as Alice',
    async run({ actAs }) {
      return attempt(await actAs(ALICE), 'connect_user', { userId: BOB }, 'connect_listener');
    },
    expected: (mode) => ({
      kind: 'refused',
      message: mode === 'legacy' ? /already connected as user 1/ : /token is for user 1/,
    }),
  },
  {
    name: "Alice's token, then connect_user naming Bob",
    async run({ server }) {
      const socket = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      return attempt(socket, 'connect_user', { userId: String(BOB) }, 'connect_listener');
    },
    // Legacy mode ignores tokens: anyone can claim any id, which is what token mode ends.
    expected: (mode) =>
      mode === 'legacy'
        ? { kind: 'accepted' }
        : {
            kind: 'refused',
            message: /this connection's token is for user 1; connect_user must name that user/,
          },
  },
  {
    name: "Alice's token, then connect_user naming Alice (apps keep calling it)",
    async run({ server }) {
      const socket = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      return attempt(socket, 'connect_user', { userId: String(ALICE) }, 'connect_listener');
    },
    expected: () => ({ kind: 'accepted' }),
  },
  ...CARRIERS.map<Case>(([carrier, via]) => ({
    name: `${carrier}: Alice's token acts as Alice without connect_user`,
    async run({ server }) {
      const { socket, outcome } = await tryConnect(server.url, via(await token(String(ALICE))));
      if (!socket) return outcome;
      return attempt(socket, 'chat_listing', { userId: ALICE }, 'chat_message');
    },
    expected: (mode) =>
      mode === 'legacy'
        ? { kind: 'refused', message: /not connected as a user yet/ }
        : { kind: 'accepted' },
  })),
  ...CARRIERS.map<Case>(([carrier, via]) =>
    handshakeCase(
      `${carrier}: expired token`,
      () => token(String(ALICE), { expiresIn: -60 }),
      /^token expired$/,
      via,
    ),
  ),
  handshakeCase(
    'token of a user that does not exist',
    () => token(String(UNKNOWN)),
    /^user 99 does not exist$/,
  ),
  handshakeCase(
    'token not yet valid (nbf)',
    () => token(String(ALICE), { notBefore: 120 }),
    /^token not yet valid/,
  ),
  handshakeCase(
    'token signed with another key',
    () => token(String(ALICE), {}, OTHER_SECRET),
    /^invalid signature$/,
  ),
  handshakeCase(
    'alg none',
    async () => unsigned({ sub: String(ALICE), iss: ISSUER, aud: AUDIENCE }),
    /algorithm this server does not accept/,
  ),
  handshakeCase(
    'RS256 token where HS256 is configured',
    async () =>
      signed(await keyPair('RS256'), {
        claims: { sub: String(ALICE), iss: ISSUER, aud: AUDIENCE },
      }),
    /algorithm this server does not accept/,
  ),
  handshakeCase(
    'token without sub',
    () => token(undefined),
    /^invalid subject: the token has no sub$/,
  ),
  handshakeCase(
    'token with a non-numeric sub',
    () => token('alice'),
    /^invalid subject: sub must be a user id/,
  ),
  handshakeCase('token with sub "0"', () => token('0'), /^invalid subject: sub must be a user id/),
  // One user, one subject spelling: Alice's id in any other spelling is refused like "alice".
  ...['01', '+1', '1.0', ' 1', '1e0', '2147483648'].map((sub) =>
    handshakeCase(
      `token with sub ${JSON.stringify(sub)} (not the canonical spelling of a user id)`,
      () => token(sub),
      /^invalid subject: sub must be a user id/,
    ),
  ),
  handshakeCase(
    'token from another issuer',
    () => token(String(ALICE), { claims: { iss: 'https://evil.example.com' } }),
    /^wrong issuer/,
  ),
  handshakeCase(
    'token for another audience',
    () => token(String(ALICE), { claims: { aud: 'billing' } }),
    /^wrong audience/,
  ),
  handshakeCase('not a JWT at all', async () => 'not-a-jwt', /^invalid token/),
  {
    name: "two different tokens (Alice's in auth, Bob's in the query)",
    async run({ server }) {
      return (
        await tryConnect(server.url, {
          auth: { token: await token(String(ALICE)) },
          query: { token: await token(String(BOB)) },
        })
      ).outcome;
    },
    expected: tokenModesRefuse(/different tokens/),
  },
  {
    name: 'no token, then connect_user naming Bob',
    async run({ server }) {
      const { socket, outcome } = await tryConnect(server.url, {});
      if (!socket) return outcome;
      return attempt(socket, 'connect_user', { userId: BOB }, 'connect_listener');
    },
    // Only required mode stops a tokenless socket; in optional mode it is a legacy socket.
    expected: (mode) =>
      mode === 'required'
        ? refusedAtConnect(/^missing token: this server requires a signed token/)
        : { kind: 'accepted' },
  },
];

const table = new ImpersonationTable('Impersonation table (HS256 secret)');
afterAll(() => table.print());

async function metric(server: TestServer, line: RegExp): Promise<number> {
  const body = await (await fetch(`${server.url}/metrics`)).text();
  const found = body.split('\n').find((l) => line.test(l));
  return found ? Number(found.split(' ').pop()) : 0;
}

describe.each<Mode>(['legacy', 'optional', 'required'])('AUTH_MODE=%s', (mode) => {
  const server = useTestServer({
    env: ENV[mode],
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ],
  });
  const context: Context = {
    server,
    mode,
    async actAs(userId) {
      if (mode === 'legacy') return connectAs(server.url, userId);
      return connect(server.url, { auth: { token: await token(String(userId)) } });
    },
  };

  describe('impersonation table', () => {
    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      // Bob and Carol are connected as themselves; Bob has written to Alice, so every
      // request would change something or send something to them.
      const bob = await context.actAs(BOB);
      const carol = await context.actAs(CAROL);
      await request(bob, 'send_message', text(BOB, ALICE, 'hello Alice'));
      const { result: outcome, problems } = await unchangedAround(server, [bob, carol], () =>
        c.run(context),
      );
      const expected = c.expected(mode);
      const message = 'message' in outcome ? outcome.message : '';
      const ok =
        outcome.kind === expected.kind &&
        (expected.message === undefined || expected.message.test(message)) &&
        (expected.kind === 'accepted' || problems.length === 0);
      table.add(
        {
          case: c.name,
          mode,
          expected: expected.kind,
          got: [describeOutcome(outcome), ...problems].join('; '),
        },
        ok,
      );
      expect({ kind: outcome.kind, message }).toEqual({
        kind: expected.kind,
        message: expected.message ? expect.stringMatching(expected.message) : message,
      });
      if (expected.kind !== 'accepted') expect(problems).toEqual([]);
    });
  });

  if (mode === 'legacy') {
    it('in legacy mode a token changes nothing: the socket still binds with connect_user, as today', async () => {
      const socket = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      expect(await request(socket, 'connect_user', { userId: BOB })).toEqual({
        success_message: 'connected successfully',
        userId: BOB,
      });
      expect(await metric(server, /^chat_binds_total\{kind="legacy"\}/)).toBeGreaterThan(0);
      expect(await metric(server, /^chat_binds_total\{kind="token"\}/)).toBe(0);
      expect(await metric(server, /^chat_refusals_total\{reason="auth_/)).toBe(0);
    });
    return;
  }

  describe('a socket with a valid token', () => {
    it('is bound to its user at connect: it acts at once, receives what is sent to the user, and counts as online', async () => {
      const alice = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      const bob = await context.actAs(BOB);
      const toAlice = waitFor(alice, 'new_message');
      await request(bob, 'send_message', text(BOB, ALICE, 'to the token socket'));
      expect(await toAlice).toMatchObject({ senderId: BOB, receiverId: ALICE });
      const [conversation] = await request(bob, 'chat_listing', { userId: BOB });
      expect(conversation).toMatchObject({ user_id: ALICE, isOnline: 1 });
      expect(await request(alice, 'get_message', { senderId: ALICE, receiverId: BOB })).toEqual([
        expect.objectContaining({ message: 'to the token socket', readStatus: 1 }),
      ]);
    });

    it('answers connect_user naming its user with connect_listener, as today, binding once', async () => {
      const before = await metric(server, /^chat_binds_total\{kind="token"\}/);
      const alice = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      for (const userId of [ALICE, String(ALICE), ALICE]) {
        expect(await request(alice, 'connect_user', { userId })).toEqual({
          success_message: 'connected successfully',
          userId: ALICE,
        });
      }
      expect(await metric(server, /^chat_binds_total\{kind="token"\}/)).toBe(before + 1);
    });

    it('connect_user naming another user: exception, counted as auth_wrong_user, nothing changes', async () => {
      const before = await metric(server, /^chat_refusals_total\{reason="auth_wrong_user"\}/);
      const alice = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      const rows = await snapshot(server);
      const error = await expectException(alice, 'connect_user', { userId: BOB });
      expect(error.message).toMatch(/token is for user 1/);
      expect(await snapshot(server)).toEqual(rows);
      // Still Alice's socket.
      expect(await request(alice, 'chat_listing', { userId: ALICE })).toEqual([]);
      expect(await metric(server, /^chat_refusals_total\{reason="auth_wrong_user"\}/)).toBe(
        before + 1,
      );
    });
  });

  it.each<[string, (token: string) => ConnectOptions]>([
    ['v4 websocket, auth.token', (t) => ({ auth: { token: t } })],
    // Websocket: after a server-side close of a polling session Engine.IO keeps a 30 s timer
    // for the close packet nobody polls for, which would outlive this file's server.
    ['v2 websocket, token query', (t) => ({ version: 'v2', query: { token: t } })],
  ])(
    'a token that expires while connected (%s): exception "token expired", then the server disconnects the socket',
    async (_client, via) => {
      const alice = await connect(server.url, via(await token(String(ALICE), { expiresIn: 2 })));
      const bob = await context.actAs(BOB);
      expect(await request(alice, 'chat_listing', { userId: ALICE })).toEqual([]);
      const exceptions = collect(alice, 'exception');
      const disconnected = waitFor<string>(alice, 'disconnect', 5000);
      expect(await disconnected).toBe('io server disconnect');
      expect(exceptions).toEqual([
        {
          status: 'error',
          message: 'token expired; reconnect with a fresh token',
          event: 'connect_user',
        },
      ]);
      // Gone from Alice's room: Bob now sees her offline.
      await request(bob, 'send_message', text(BOB, ALICE, 'are you there?'));
      const [conversation] = await request(bob, 'chat_listing', { userId: BOB });
      expect(conversation).toMatchObject({ user_id: ALICE, isOnline: 0 });
      // And a fresh token connects again.
      const again = await connect(server.url, { auth: { token: await token(String(ALICE)) } });
      expect(await request(again, 'chat_listing', { userId: ALICE })).toHaveLength(1);
    },
    15_000,
  );

  it('a token without exp stays connected (it never expires)', async () => {
    const alice = await connect(server.url, {
      auth: { token: await token(String(ALICE), { expiresIn: undefined }) },
    });
    const exceptions = collect(alice, 'exception');
    await sleep(300);
    expect(alice.connected).toBe(true);
    expect(exceptions).toEqual([]);
  });

  it('a refused handshake ends the connection: a v2 client hears `error`, then is disconnected', async () => {
    const before = await metric(server, /^chat_refusals_total\{reason="auth_expired"\}/);
    const socket = ioV2(server.url, {
      transports: ['polling'],
      forceNew: true,
      reconnection: false,
      query: { token: await token(String(ALICE), { expiresIn: -60 }) },
    });
    try {
      const error = waitFor<string>(socket as unknown as TestSocket, 'error', 5000);
      const closed = waitFor<string>(socket as unknown as TestSocket, 'disconnect', 5000);
      expect(await error).toBe('token expired');
      expect(await closed).toBe('transport close');
    } finally {
      socket.close();
    }
    expect(await metric(server, /^chat_refusals_total\{reason="auth_expired"\}/)).toBe(before + 1);
  });

  it('chat_binds_total counts token and legacy binds by kind, once per socket', async () => {
    const token0 = await metric(server, /^chat_binds_total\{kind="token"\}/);
    const legacy0 = await metric(server, /^chat_binds_total\{kind="legacy"\}/);
    const viaQuery = await connect(server.url, {
      version: 'v2',
      query: { token: await token(String(ALICE)) },
    });
    await connect(server.url, { auth: { token: await token(String(BOB)) } });
    await request(viaQuery, 'connect_user', { userId: ALICE });
    if (mode === 'optional') {
      const old = await connectAs(server.url, CAROL, { version: 'v2', transport: 'polling' });
      await request(old, 'connect_user', { userId: CAROL });
    }
    await sleep(100);
    expect(await metric(server, /^chat_binds_total\{kind="token"\}/)).toBe(token0 + 2);
    expect(await metric(server, /^chat_binds_total\{kind="legacy"\}/)).toBe(
      legacy0 + (mode === 'optional' ? 1 : 0),
    );
  });

  it('counts each refused handshake by reason', async () => {
    const reasons = ['auth_expired', 'auth_invalid_signature', 'auth_invalid_subject'];
    const before = await Promise.all(
      reasons.map((r) => metric(server, new RegExp(`^chat_refusals_total\\{reason="${r}"\\}`))),
    );
    for (const bad of [
      await token(String(ALICE), { expiresIn: -5 }),
      await token(String(ALICE), {}, OTHER_SECRET),
      await token('x'),
    ]) {
      expect((await tryConnect(server.url, { auth: { token: bad } })).outcome.kind).toBe(
        'refused at connect',
      );
    }
    const after = await Promise.all(
      reasons.map((r) => metric(server, new RegExp(`^chat_refusals_total\\{reason="${r}"\\}`))),
    );
    expect(after).toEqual(before.map((n) => n + 1));
  });

  if (mode === 'required') {
    it('a tokenless handshake is refused and counted as auth_missing, on every client', async () => {
      const before = await metric(server, /^chat_refusals_total\{reason="auth_missing"\}/);
      for (const options of [
        {},
        { transport: 'polling' },
        { version: 'v2' },
        { version: 'v2', transport: 'polling' },
      ] as ConnectOptions[]) {
        const { outcome } = await tryConnect(server.url, options);
        expect(outcome).toEqual({
          kind: 'refused at connect',
          message: expect.stringMatching(/^missing token/),
        });
      }
      expect(await metric(server, /^chat_refusals_total\{reason="auth_missing"\}/)).toBe(
        before + 4,
      );
    });
  }
});
