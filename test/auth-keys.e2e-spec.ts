// Token identity with public keys (issue 9, part 1): AUTH_JWT_PUBLIC_KEY with
// RS256, ES256 and EdDSA keys, and AUTH_JWKS_URL against a local JWKS server
// (rotation, and at most one refetch a minute for unknown kids). Each attempt
// goes in the printed impersonation table.
import { jest } from '@jest/globals';
import {
  attempt,
  describeOutcome,
  ImpersonationTable,
  tryConnect,
  unchangedAround,
  type Outcome,
} from './support/impersonation.js';
import { request, text } from './support/protocol.js';
import { connect, type ConnectOptions } from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import type { TestServer } from './support/test-server.js';
import {
  confused,
  escapedPem,
  hs256,
  keyPair,
  SECRET,
  signed,
  startJwksServer,
  unsigned,
  type JwksServer,
  type KeyAlgorithm,
  type TestKeyPair,
} from './support/tokens.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const USERS: Array<[number, string]> = [
  [ALICE, 'Alice'],
  [BOB, 'Bob'],
  [CAROL, 'Carol'],
];

const table = new ImpersonationTable('Impersonation table (public keys, JWKS)');
afterAll(() => table.print());

type Expected = 'accepted' | 'refused at connect' | 'refused';

/**
 * Runs one attempt with Bob and Carol connected (Bob has written to Alice),
 * records it in the table, and checks it: the outcome, its message, and for a
 * refusal that no row changed and Bob and Carol received nothing.
 */
async function check(
  server: TestServer,
  mode: string,
  name: string,
  tokenFor: (userId: number) => Promise<string>,
  act: () => Promise<Outcome>,
  expected: Expected,
  message?: RegExp,
): Promise<void> {
  const bob = await connect(server.url, { auth: { token: await tokenFor(BOB) } });
  const carol = await connect(server.url, { auth: { token: await tokenFor(CAROL) } });
  await request(bob, 'send_message', text(BOB, ALICE, 'hello Alice'));
  const { result: outcome, problems } = await unchangedAround(server, [bob, carol], act);
  const got = 'message' in outcome ? outcome.message : '';
  const ok =
    outcome.kind === expected &&
    (message === undefined || message.test(got)) &&
    (expected === 'accepted' || problems.length === 0);
  table.add(
    { case: name, mode, expected, got: [describeOutcome(outcome), ...problems].join('; ') },
    ok,
  );
  expect({ kind: outcome.kind, message: got }).toEqual({
    kind: expected,
    message: message ? expect.stringMatching(message) : got,
  });
  if (expected !== 'accepted') expect(problems).toEqual([]);
}

/** Connects with `options`, then acts as Alice (accepted) or as Bob (refused). */
async function connectAndList(
  server: TestServer,
  options: ConnectOptions,
  as = ALICE,
): Promise<Outcome> {
  const { socket, outcome } = await tryConnect(server.url, options);
  if (!socket) return outcome;
  return attempt(socket, 'chat_listing', { userId: as }, 'chat_message');
}

describe.each<[KeyAlgorithm, string]>([
  ['RS256', 'RSA 2048'],
  ['ES256', 'EC P-256'],
  ['EdDSA', 'Ed25519, PEM with \\n escapes'],
])('AUTH_MODE=required, AUTH_JWT_PUBLIC_KEY (%s, %s)', (alg, keyName) => {
  const env: Record<string, string> = { AUTH_MODE: 'required' };
  let pair: TestKeyPair;
  beforeAll(async () => {
    pair = await keyPair(alg);
    // As deployments often pass it: one line with literal \n (the EdDSA server here).
    env.AUTH_JWT_PUBLIC_KEY = alg === 'EdDSA' ? escapedPem(pair.publicPem) : pair.publicPem;
  });
  const server = useTestServer({ env, users: USERS });
  const mode = `${alg} key`;
  const tokenFor = (userId: number) => signed(pair, { claims: { sub: String(userId) } });

  it(`a ${keyName} token binds its user (v4 auth.token, v2 polling query)`, async () => {
    const token = await tokenFor(ALICE);
    await check(
      server,
      mode,
      `${alg} token for Alice, v4 websocket`,
      tokenFor,
      () => connectAndList(server, { auth: { token } }),
      'accepted',
    );
    await check(
      server,
      mode,
      `${alg} token for Alice, v2 polling query`,
      tokenFor,
      () => connectAndList(server, { version: 'v2', transport: 'polling', query: { token } }),
      'accepted',
    );
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    [
      'signed by another key of the same type',
      async () => signed(await keyPair(alg), { claims: { sub: String(ALICE) } }),
      /^invalid signature$/,
    ],
    [
      'HS256 signed with the public key (algorithm confusion)',
      () => confused(pair, { sub: String(ALICE) }),
      /algorithm this server does not accept/,
    ],
    ['alg none', async () => unsigned({ sub: String(ALICE) }), /algorithm/],
    [
      'HS256 with some secret',
      () => hs256(SECRET, { claims: { sub: String(ALICE) } }),
      /algorithm/,
    ],
    [
      'expired',
      () => signed(pair, { claims: { sub: String(ALICE) }, expiresIn: -30 }),
      /^token expired$/,
    ],
  ])('refuses a token %s at connect', async (name, bad, message) => {
    const token = await bad();
    await check(
      server,
      mode,
      name,
      tokenFor,
      () => connectAndList(server, { auth: { token } }),
      'refused at connect',
      message,
    );
  });

  it("Alice's token acting as Bob is refused", async () => {
    const token = await tokenFor(ALICE);
    await check(
      server,
      mode,
      "Alice's token, chat_listing naming Bob",
      tokenFor,
      () => connectAndList(server, { auth: { token } }, BOB),
      'refused',
      /must be the user this socket is connected as \(1\)/,
    );
  });
});

describe('AUTH_MODE=required, AUTH_JWKS_URL (a local JWKS server)', () => {
  const env: Record<string, string> = { AUTH_MODE: 'required' };
  let jwks: JwksServer;
  let rsa: TestKeyPair;
  let ec: TestKeyPair;
  let ed: TestKeyPair;
  beforeAll(async () => {
    rsa = await keyPair('RS256', 'rsa-2026');
    ec = await keyPair('ES256', 'ec-2027');
    ed = await keyPair('EdDSA', 'ed-2027');
    jwks = await startJwksServer([rsa.publicJwk]);
    env.AUTH_JWKS_URL = jwks.url;
  });
  afterAll(() => jwks.close());
  const server = useTestServer({ env, users: USERS });
  const mode = 'JWKS';
  const tokenWith = (pair: TestKeyPair) => (userId: number) =>
    signed(pair, { claims: { sub: String(userId) } });

  const realNow = Date.now.bind(Date);
  /** jose's key cache and refetch cooldown read Date.now(); moving it stands for waiting. */
  function advanceClock(ms: number): void {
    const offset = (jest.isMockFunction(Date.now) ? Date.now() - realNow() : 0) + ms;
    jest.restoreAllMocks();
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
  }
  afterEach(() => jest.restoreAllMocks());

  it('verifies with the published keys, fetched once and then cached', async () => {
    const before = jwks.requests;
    const token = await tokenWith(rsa)(ALICE);
    await check(
      server,
      mode,
      'RS256 token for Alice (kid rsa-2026)',
      tokenWith(rsa),
      () => connectAndList(server, { auth: { token } }),
      'accepted',
    );
    await connect(server.url, { auth: { token } });
    expect(jwks.requests - before).toBeLessThanOrEqual(1);
    const after = jwks.requests;
    for (let i = 0; i < 5; i++) await connect(server.url, { auth: { token } });
    expect(jwks.requests).toBe(after);
  });

  it('refuses HS256 signed with a published public key, and alg none', async () => {
    const forged = await confused(rsa, { sub: String(ALICE) });
    await check(
      server,
      mode,
      'HS256 signed with the published RSA key (kid rsa-2026)',
      tokenWith(rsa),
      () => connectAndList(server, { auth: { token: forged } }),
      'refused at connect',
      /algorithm/,
    );
    await check(
      server,
      mode,
      'alg none',
      tokenWith(rsa),
      () => connectAndList(server, { auth: { token: unsigned({ sub: String(ALICE) }) } }),
      'refused at connect',
      /algorithm/,
    );
  });

  it('accepts a rotated key after one refetch; unknown kids refetch at most once a minute', async () => {
    await connect(server.url, { auth: { token: await tokenWith(rsa)(ALICE) } }); // keys cached
    advanceClock(61_000); // past the cooldown of that fetch
    // The provider publishes new keys (new kids): EC and Ed25519.
    jwks.keys = [rsa.publicJwk, ec.publicJwk, ed.publicJwk];
    const start = jwks.requests;

    const rotated = await tokenWith(ec)(ALICE);
    await check(
      server,
      mode,
      'ES256 token with a newly published kid',
      tokenWith(rsa),
      () => connectAndList(server, { auth: { token: rotated } }),
      'accepted',
    );
    expect(jwks.requests).toBe(start + 1);
    const edToken = await tokenWith(ed)(ALICE);
    expect((await tryConnect(server.url, { auth: { token: edToken } })).outcome.kind).toBe(
      'accepted',
    );
    expect(jwks.requests).toBe(start + 1);

    // Kids nobody published: refused, and within the minute no further fetch however many come.
    const stranger = await keyPair('ES256', 'made-up-kid');
    for (let i = 0; i < 10; i++) {
      const token = await signed(stranger, {
        claims: { sub: String(ALICE) },
        header: { kid: `made-up-${i}` },
      });
      const { outcome } = await tryConnect(server.url, { auth: { token } });
      expect(outcome).toEqual({
        kind: 'refused at connect',
        message: expect.stringMatching(/^invalid signature: no published key matches/),
      });
    }
    expect(jwks.requests).toBe(start + 1);
    table.add(
      {
        case: '10 tokens with unknown kids within a minute',
        mode,
        expected: 'refused at connect, no refetch',
        got: `refused at connect, ${jwks.requests - start - 1} refetches`,
      },
      true,
    );

    // A minute later one more unknown kid triggers exactly one fetch.
    advanceClock(61_000);
    const late = await signed(stranger, { claims: { sub: String(ALICE) } });
    expect((await tryConnect(server.url, { auth: { token: late } })).outcome.kind).toBe(
      'refused at connect',
    );
    expect(jwks.requests).toBe(start + 2);
  });

  it('a key withdrawn from the set is refused once the cached set is older than 10 minutes', async () => {
    jwks.keys = [rsa.publicJwk, ec.publicJwk];
    advanceClock(11 * 60_000);
    const token = await tokenWith(rsa)(ALICE);
    expect((await tryConnect(server.url, { auth: { token } })).outcome.kind).toBe('accepted');
    jwks.keys = [ec.publicJwk]; // the provider withdrew the RSA key
    advanceClock(11 * 60_000);
    await check(
      server,
      mode,
      'RS256 token after its key was withdrawn',
      tokenWith(ec),
      () => connectAndList(server, { auth: { token } }),
      'refused at connect',
      /^invalid signature: no published key matches/,
    );
  });
});
