import { jest } from '@jest/globals';
import { UnsecuredJWT } from 'jose';
import {
  confused,
  escapedPem,
  hs256,
  keyPair,
  OTHER_SECRET,
  SECRET,
  signed,
  startJwksServer,
  unsigned,
  type JwksServer,
  type TestKeyPair,
} from '../../test/support/tokens.js';
import { loadConfig } from '../config/app-config.js';
import { JWKS_REFETCH_COOLDOWN_MS, JWKS_RETRY_AFTER_FAILURE_MS } from './jwks-keys.js';
import { TokenRefusedError, type AuthRefusalReason } from './token-refusal.js';
import { TokenVerifier } from './token-verifier.js';

function verifierFor(env: Record<string, string>): TokenVerifier {
  return new TokenVerifier(loadConfig({ AUTH_MODE: 'required', ...env }).auth);
}

/** The refusal `verify` ends in (fails the test if it accepts). */
async function refusal(verifier: TokenVerifier, token: string): Promise<TokenRefusedError> {
  try {
    const accepted = await verifier.verify(token);
    throw new Error(`accepted: ${JSON.stringify(accepted)}`);
  } catch (error) {
    if (!(error instanceof TokenRefusedError)) throw error;
    return error;
  }
}

async function expectRefused(
  verifier: TokenVerifier,
  token: string,
  reason: AuthRefusalReason,
  message: RegExp,
): Promise<void> {
  const error = await refusal(verifier, token);
  expect({ reason: error.reason, message: error.message }).toEqual({
    reason,
    message: expect.stringMatching(message),
  });
}

describe('TokenVerifier', () => {
  describe('HS256 secret (AUTH_JWT_SECRET)', () => {
    const verifier = verifierFor({ AUTH_JWT_SECRET: SECRET });

    it('accepts a token signed with the secret: sub is the user id, exp is kept', async () => {
      const token = await hs256(SECRET, { claims: { sub: '42' }, expiresIn: 60 });
      const verified = await verifier.verify(token);
      expect(verified.userId).toBe(42);
      expect(verified.expiresAt).toBeGreaterThan(Date.now() / 1000 + 50);
    });

    it('accepts a token without exp, which then never expires', async () => {
      expect(await verifier.verify(await hs256(SECRET, { claims: { sub: '7' } }))).toEqual({
        userId: 7,
        expiresAt: undefined,
      });
    });

    it('takes the secret as its UTF-8 bytes', async () => {
      const unicode = 'clé-secrète-ünïcödé-of-32-bytes-or-more';
      const token = await hs256(unicode, { claims: { sub: '1' } });
      expect((await verifierFor({ AUTH_JWT_SECRET: unicode }).verify(token)).userId).toBe(1);
    });

    it.each<[string, () => Promise<string>, AuthRefusalReason, RegExp]>([
      [
        'another secret',
        () => hs256(OTHER_SECRET, { claims: { sub: '1' } }),
        'auth_invalid_signature',
        /^invalid signature$/,
      ],
      [
        'an expired token',
        () => hs256(SECRET, { claims: { sub: '1' }, expiresIn: -10 }),
        'auth_expired',
        /^token expired$/,
      ],
      [
        'a token not valid yet (nbf)',
        () => hs256(SECRET, { claims: { sub: '1' }, notBefore: 60 }),
        'auth_not_yet_valid',
        /not yet valid/,
      ],
      ['alg none', async () => unsigned({ sub: '1' }), 'auth_invalid_algorithm', /algorithm/],
      [
        "jose's unsecured JWT",
        async () => new UnsecuredJWT({ sub: '1' }).encode(),
        'auth_invalid_algorithm',
        /algorithm/,
      ],
      [
        'HS512 with the same secret (not on the allow-list)',
        async () => {
          const { SignJWT } = await import('jose');
          return new SignJWT({ sub: '1' })
            .setProtectedHeader({ alg: 'HS512' })
            .sign(new TextEncoder().encode(SECRET));
        },
        'auth_invalid_algorithm',
        /algorithm/,
      ],
      [
        'an RS256 token',
        async () => signed(await keyPair('RS256'), { claims: { sub: '1' } }),
        'auth_invalid_algorithm',
        /algorithm/,
      ],
      ['a missing sub', () => hs256(SECRET), 'auth_invalid_subject', /no sub/],
      [
        'a non-numeric sub',
        () => hs256(SECRET, { claims: { sub: 'alice' } }),
        'auth_invalid_subject',
        /sub must be a user id/,
      ],
      [
        'sub "0"',
        () => hs256(SECRET, { claims: { sub: '0' } }),
        'auth_invalid_subject',
        /sub must/,
      ],
      [
        'sub above 2147483647',
        () => hs256(SECRET, { claims: { sub: '2147483648' } }),
        'auth_invalid_subject',
        /sub must/,
      ],
      [
        'sub "-1"',
        () => hs256(SECRET, { claims: { sub: '-1' } }),
        'auth_invalid_subject',
        /sub must/,
      ],
      [
        'sub "1e3"',
        () => hs256(SECRET, { claims: { sub: '1e3' } }),
        'auth_invalid_subject',
        /sub must/,
      ],
      [
        'sub " 1"',
        () => hs256(SECRET, { claims: { sub: ' 1' } }),
        'auth_invalid_subject',
        /sub must/,
      ],
      // One user, one subject spelling: only the canonical decimal form of an id.
      ...['01', '007', '+1', '1.0', '1 ', '1e2', '99999999999', '00000000001'].map(
        (sub): [string, () => Promise<string>, AuthRefusalReason, RegExp] => [
          `sub ${JSON.stringify(sub)}`,
          () => hs256(SECRET, { claims: { sub } }),
          'auth_invalid_subject',
          /sub must be a user id/,
        ],
      ),
      [
        'sub as a JSON number',
        () => hs256(SECRET, { claims: { sub: 1 as unknown as string } }),
        'auth_invalid_subject',
        /sub must/,
      ],
      ['not a JWT', async () => 'not-a-token', 'auth_invalid', /invalid token/],
      ['three garbage parts', async () => 'a.b.c', 'auth_invalid', /invalid token/],
      [
        'a payload that is not JSON',
        async () => {
          const [header, , signature] = (await hs256(SECRET, { claims: { sub: '1' } })).split('.');
          return `${header}.${Buffer.from('not json').toString('base64url')}.${signature}`;
        },
        // The signature no longer matches the payload: refused before the payload is read.
        'auth_invalid_signature',
        /invalid signature/,
      ],
      [
        'a token longer than 8 KB',
        () => hs256(SECRET, { claims: { sub: '1', pad: 'x'.repeat(9000) } }),
        'auth_invalid',
        /longer than 8192/,
      ],
    ])('refuses %s', async (_case, token, reason, message) => {
      await expectRefused(verifier, await token(), reason, message);
    });

    it('checks the signature before the claims: an expired forgery is a bad signature', async () => {
      const forged = await hs256(OTHER_SECRET, { claims: { sub: '1' }, expiresIn: -60 });
      await expectRefused(verifier, forged, 'auth_invalid_signature', /invalid signature/);
    });

    it('allows AUTH_CLOCK_TOLERANCE_S of skew on exp and nbf', async () => {
      const tolerant = verifierFor({ AUTH_JWT_SECRET: SECRET, AUTH_CLOCK_TOLERANCE_S: '60' });
      const expired = await hs256(SECRET, { claims: { sub: '1' }, expiresIn: -30 });
      const early = await hs256(SECRET, { claims: { sub: '1' }, notBefore: 30 });
      expect((await tolerant.verify(expired)).userId).toBe(1);
      expect((await tolerant.verify(early)).userId).toBe(1);
      await expectRefused(verifier, expired, 'auth_expired', /expired/);
    });
  });

  describe('issuer and audience', () => {
    const verifier = verifierFor({
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: 'https://id.example.com',
      AUTH_JWT_AUDIENCE: 'chat',
    });
    const good = { sub: '1', iss: 'https://id.example.com', aud: 'chat' };

    it('accepts the configured iss and aud (aud may be a list)', async () => {
      expect((await verifier.verify(await hs256(SECRET, { claims: good }))).userId).toBe(1);
      const listed = { ...good, aud: ['billing', 'chat'] };
      expect((await verifier.verify(await hs256(SECRET, { claims: listed }))).userId).toBe(1);
    });

    it.each<[string, Record<string, unknown>, AuthRefusalReason, RegExp]>([
      [
        'another issuer',
        { ...good, iss: 'https://evil.example.com' },
        'auth_wrong_issuer',
        /wrong issuer/,
      ],
      ['no issuer', { sub: '1', aud: 'chat' }, 'auth_wrong_issuer', /wrong issuer/],
      ['another audience', { ...good, aud: 'billing' }, 'auth_wrong_audience', /wrong audience/],
      [
        'no audience',
        { sub: '1', iss: 'https://id.example.com' },
        'auth_wrong_audience',
        /wrong audience/,
      ],
    ])('refuses %s', async (_case, claims, reason, message) => {
      await expectRefused(verifier, await hs256(SECRET, { claims }), reason, message);
    });
  });

  describe.each<[string, 'RS256' | 'ES256' | 'EdDSA' | 'ES384']>([
    ['RSA', 'RS256'],
    ['EC P-256', 'ES256'],
    ['EC P-384', 'ES384'],
    ['Ed25519', 'EdDSA'],
  ])('%s public key (AUTH_JWT_PUBLIC_KEY)', (_name, alg) => {
    let pair: TestKeyPair;
    let verifier: TokenVerifier;
    beforeAll(async () => {
      pair = await keyPair(alg);
      verifier = verifierFor({ AUTH_JWT_PUBLIC_KEY: pair.publicPem });
    });

    it(`accepts a ${alg} token, also with the PEM's line breaks written as \\n`, async () => {
      const token = await signed(pair, { claims: { sub: '5' }, expiresIn: 60 });
      expect((await verifier.verify(token)).userId).toBe(5);
      const escaped = verifierFor({ AUTH_JWT_PUBLIC_KEY: escapedPem(pair.publicPem) });
      expect((await escaped.verify(token)).userId).toBe(5);
    });

    it('refuses a token signed by another key of the same type', async () => {
      const other = await keyPair(alg);
      await expectRefused(
        verifier,
        await signed(other, { claims: { sub: '5' } }),
        'auth_invalid_signature',
        /^invalid signature$/,
      );
    });

    it('refuses HS256 signed with the public key itself (algorithm confusion)', async () => {
      await expectRefused(
        verifier,
        await confused(pair, { sub: '5' }),
        'auth_invalid_algorithm',
        /algorithm/,
      );
    });

    it('refuses alg none', async () => {
      await expectRefused(verifier, unsigned({ sub: '5' }), 'auth_invalid_algorithm', /algorithm/);
    });

    it('refuses a token whose header names another algorithm than the key has', async () => {
      const [, payload, signature] = (await signed(pair, { claims: { sub: '5' } })).split('.');
      const other = alg === 'RS256' ? 'ES256' : 'RS256';
      const header = Buffer.from(JSON.stringify({ alg: other })).toString('base64url');
      await expectRefused(
        verifier,
        `${header}.${payload}.${signature}`,
        'auth_invalid_algorithm',
        /algorithm/,
      );
    });
  });

  it('accepts an Ed25519 token whose header says "Ed25519" (the fully specified name)', async () => {
    const pair = await keyPair('EdDSA');
    const verifier = verifierFor({ AUTH_JWT_PUBLIC_KEY: pair.publicPem });
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({ sub: '3' })
      .setProtectedHeader({ alg: 'Ed25519' })
      .sign(pair.privateKey);
    expect((await verifier.verify(token)).userId).toBe(3);
  });

  describe('JWKS (AUTH_JWKS_URL)', () => {
    let jwks: JwksServer;
    let rsa: TestKeyPair;
    let ec: TestKeyPair;
    const realNow = Date.now.bind(Date);
    let offsetMs = 0;

    beforeAll(async () => {
      rsa = await keyPair('RS256', 'rsa-1');
      ec = await keyPair('ES256', 'ec-2');
      jwks = await startJwksServer([]);
    });
    beforeEach(() => {
      jwks.keys = [rsa.publicJwk];
      jwks.requests = 0;
      jwks.status = 200;
      offsetMs = 0;
      // jose's cache and cooldown read Date.now(); the JWT time checks do not.
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
    });
    afterEach(() => jest.restoreAllMocks());
    afterAll(() => jwks.close());

    const verifier = () => verifierFor({ AUTH_JWKS_URL: jwks.url });

    it('fetches the keys once and verifies from the cache', async () => {
      const keys = verifier();
      for (const sub of ['1', '2', '3']) {
        expect((await keys.verify(await signed(rsa, { claims: { sub } }))).userId).toBe(
          Number(sub),
        );
      }
      expect(jwks.requests).toBe(1);
    });

    it('accepts a rotated key after one refetch, and refetches for an unknown kid at most once a minute', async () => {
      const keys = verifier();
      await keys.verify(await signed(rsa, { claims: { sub: '1' } }));
      expect(jwks.requests).toBe(1);

      // The provider rotates: a new key (new kid) is published.
      jwks.keys = [rsa.publicJwk, ec.publicJwk];
      const rotated = await signed(ec, { claims: { sub: '2' } });
      // Within the cooldown the unknown kid is refused without asking again, however often.
      for (let i = 0; i < 5; i++) {
        await expectRefused(keys, rotated, 'auth_invalid_signature', /no published key/);
      }
      expect(jwks.requests).toBe(1);

      offsetMs = JWKS_REFETCH_COOLDOWN_MS + 1000;
      expect((await keys.verify(rotated)).userId).toBe(2);
      expect(jwks.requests).toBe(2);

      // A made-up kid right after: refused, no new fetch.
      const stranger = await keyPair('ES256', 'made-up');
      for (let i = 0; i < 5; i++) {
        await expectRefused(
          keys,
          await signed(stranger, { claims: { sub: '3' } }),
          'auth_invalid_signature',
          /no published key/,
        );
      }
      expect(jwks.requests).toBe(2);
      offsetMs += JWKS_REFETCH_COOLDOWN_MS + 1000;
      await expectRefused(
        keys,
        await signed(stranger, { claims: { sub: '3' } }),
        'auth_invalid_signature',
        /no published key/,
      );
      expect(jwks.requests).toBe(3);
    });

    it('refuses HS256 signed with a published public key, and alg none', async () => {
      const keys = verifier();
      await expectRefused(
        keys,
        await confused(rsa, { sub: '1' }),
        'auth_invalid_algorithm',
        /algorithm/,
      );
      await expectRefused(keys, unsigned({ sub: '1' }), 'auth_invalid_algorithm', /algorithm/);
      const hs = await hs256(SECRET, { claims: { sub: '1' }, header: { kid: 'rsa-1' } });
      await expectRefused(keys, hs, 'auth_invalid_algorithm', /algorithm/);
    });

    it('keeps verifying with the keys fetched before while the provider is down', async () => {
      const keys = verifier();
      await keys.verify(await signed(rsa, { claims: { sub: '1' } }));
      jwks.status = 503;
      offsetMs = 11 * 60_000; // past the cache's max age: jose refetches, and that fails
      expect((await keys.verify(await signed(rsa, { claims: { sub: '1' } }))).userId).toBe(1);
      expect(jwks.requests).toBe(2);
      // And it does not ask again on every handshake while failing.
      for (let i = 0; i < 5; i++) await keys.verify(await signed(rsa, { claims: { sub: '1' } }));
      expect(jwks.requests).toBe(2);
      offsetMs += JWKS_RETRY_AFTER_FAILURE_MS + 1000;
      jwks.status = 200;
      await keys.verify(await signed(rsa, { claims: { sub: '1' } }));
      expect(jwks.requests).toBe(3);
    });

    it('refuses with "keys unavailable" when the keys were never fetched, retrying at most every 10 s', async () => {
      jwks.status = 500;
      const keys = verifier();
      const token = await signed(rsa, { claims: { sub: '1' } });
      for (let i = 0; i < 3; i++) {
        await expectRefused(keys, token, 'auth_keys_unavailable', /signing keys are unavailable/);
      }
      expect(jwks.requests).toBe(1);
      jwks.status = 200;
      offsetMs = JWKS_RETRY_AFTER_FAILURE_MS + 1000;
      expect((await keys.verify(token)).userId).toBe(1);
      expect(jwks.requests).toBe(2);
    });

    it('refuses with "keys unavailable" when the URL does not answer', async () => {
      const keys = verifierFor({ AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json' });
      await expectRefused(
        keys,
        await signed(rsa, { claims: { sub: '1' } }),
        'auth_keys_unavailable',
        /unavailable/,
      );
    });
  });
});
