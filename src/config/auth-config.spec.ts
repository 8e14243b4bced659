import { generateKeyPairSync } from 'node:crypto';
import { escapedPem, SECRET } from '../../test/support/tokens.js';
import { ConfigError, loadConfig } from './app-config.js';

/** A key pair as PEM text (SPKI public, PKCS#8 private). */
function pem(type: string, options: object = {}): { publicKey: string; privateKey: string } {
  const generate = generateKeyPairSync as unknown as (
    type: string,
    options: object,
  ) => { publicKey: string; privateKey: string };
  return generate(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

const rsa = pem('rsa', { modulusLength: 2048 });

describe('loadConfig: token identity (AUTH_*)', () => {
  it('defaults to legacy mode with no key', () => {
    expect(loadConfig({}).auth).toEqual({ mode: 'legacy', clockToleranceS: 0, ignored: [] });
  });

  it('in legacy mode ignores the key settings, listing them for a start-up warning', () => {
    const config = loadConfig({ AUTH_JWT_SECRET: 'short', AUTH_JWT_ISSUER: 'x' });
    expect(config.auth.mode).toBe('legacy');
    expect(config.auth.keySource).toBeUndefined();
    expect(config.auth.ignored).toEqual(['AUTH_JWT_SECRET', 'AUTH_JWT_ISSUER']);
  });

  it('reads a secret as its UTF-8 bytes, with HS256 only', () => {
    const { auth } = loadConfig({ AUTH_MODE: 'Optional', AUTH_JWT_SECRET: SECRET });
    expect(auth.mode).toBe('optional');
    expect(auth.keySource).toMatchObject({ kind: 'secret', algorithms: ['HS256'] });
    expect(
      Buffer.from(auth.keySource!.kind === 'secret' ? auth.keySource!.secret : []).toString(),
    ).toBe(SECRET);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['RSA', { modulusLength: 2048 }, ['RS256']],
    ['EC P-256', { namedCurve: 'P-256' }, ['ES256']],
    ['EC P-384', { namedCurve: 'P-384' }, ['ES384']],
    ['EC P-521', { namedCurve: 'P-521' }, ['ES512']],
    ['Ed25519', {}, ['EdDSA', 'Ed25519']],
  ])('takes the algorithm of a %s public key from the key', (name, options, algorithms) => {
    const type = name === 'RSA' ? 'rsa' : name === 'Ed25519' ? 'ed25519' : 'ec';
    const { publicKey } = pem(type, options);
    for (const value of [publicKey, escapedPem(publicKey)]) {
      const { auth } = loadConfig({ AUTH_MODE: 'required', AUTH_JWT_PUBLIC_KEY: value });
      expect(auth.keySource).toMatchObject({ kind: 'public-key', algorithms });
    }
  });

  it('reads the JWKS URL, issuer, audience and clock tolerance', () => {
    const { auth } = loadConfig({
      AUTH_MODE: 'required',
      AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
      AUTH_JWT_ISSUER: 'https://id.example.com',
      AUTH_JWT_AUDIENCE: 'chat',
      AUTH_CLOCK_TOLERANCE_S: '30',
    });
    expect(auth).toMatchObject({
      mode: 'required',
      keySource: { kind: 'jwks' },
      issuer: 'https://id.example.com',
      audience: 'chat',
      clockToleranceS: 30,
    });
    expect(auth.keySource?.algorithms).not.toContain('HS256');
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ AUTH_MODE: 'on' }, /^AUTH_MODE must be one of legacy, optional, required/],
    [
      { AUTH_MODE: 'required' },
      /AUTH_MODE=required needs a key: set one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWKS_URL/,
    ],
    [{ AUTH_MODE: 'optional' }, /AUTH_MODE=optional needs a key/],
    [
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://x.example/jwks' },
      /AUTH_JWT_SECRET and AUTH_JWKS_URL are set/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: 'too-short' },
      /^AUTH_JWT_SECRET must be at least 32 bytes/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWT_PUBLIC_KEY: 'not a key' },
      /^AUTH_JWT_PUBLIC_KEY must be a PEM public key/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWT_PUBLIC_KEY: rsa.privateKey },
      /^AUTH_JWT_PUBLIC_KEY must be a public key, and this is a private key/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWT_PUBLIC_KEY: pem('rsa', { modulusLength: 1024 }).publicKey },
      /^AUTH_JWT_PUBLIC_KEY is an RSA key shorter than 2048 bits/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWT_PUBLIC_KEY: pem('x25519').publicKey },
      /^AUTH_JWT_PUBLIC_KEY is a x25519 key; use RSA/,
    ],
    [
      {
        AUTH_MODE: 'required',
        AUTH_JWT_PUBLIC_KEY: pem('ec', { namedCurve: 'secp256k1' }).publicKey,
      },
      /^AUTH_JWT_PUBLIC_KEY is a ec secp256k1 key/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWKS_URL: 'ftp://x.example/jwks' },
      /^AUTH_JWKS_URL must start with https:\/\/ or http:\/\//,
    ],
    [{ AUTH_MODE: 'required', AUTH_JWKS_URL: 'not a url' }, /^AUTH_JWKS_URL must be a URL/],
    [
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: SECRET, AUTH_CLOCK_TOLERANCE_S: '-1' },
      /^AUTH_CLOCK_TOLERANCE_S must be a whole number/,
    ],
  ])('refuses %p naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
