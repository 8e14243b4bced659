import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Token identity settings (issue 9, README "Security"): AUTH_MODE and where
 * the keys that sign the tokens come from. Read by loadConfig; an invalid
 * value stops the server with a message naming the variable.
 */
export const AUTH_MODES = ['legacy', 'optional', 'required'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The JWS algorithms accepted from a JWKS: every asymmetric one jose verifies, never HS* or none. */
export const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** Where the verification key comes from: exactly one of the three variables. */
export type AuthKeySource =
  | { kind: 'secret'; variable: 'AUTH_JWT_SECRET'; secret: Uint8Array; algorithms: string[] }
  | { kind: 'public-key'; variable: 'AUTH_JWT_PUBLIC_KEY'; key: KeyObject; algorithms: string[] }
  | { kind: 'jwks'; variable: 'AUTH_JWKS_URL'; url: URL; algorithms: string[] };

export interface AuthConfig {
  mode: AuthMode;
  /** Set in optional and required modes; undefined in legacy mode. */
  keySource?: AuthKeySource;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud` (one of the token's audiences), when set. */
  audience?: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  clockToleranceS: number;
  /** Variables set but ignored because AUTH_MODE is legacy (logged as a warning at start-up). */
  ignored: string[];
}

/** HS256 wants a key at least as long as its hash (RFC 7518, 3.2). */
export const MIN_SECRET_BYTES = 32;

type Env = Record<string, string | undefined>;
/** Builds the error the caller throws (app-config's ConfigError), so this file needs no import of it. */
type Fail = (message: string) => Error;

const KEY_VARIABLES = ['AUTH_JWT_SECRET', 'AUTH_JWT_PUBLIC_KEY', 'AUTH_JWKS_URL'] as const;
const OTHER_VARIABLES = ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE', 'AUTH_CLOCK_TOLERANCE_S'] as const;

export function readAuthConfig(env: Env, fail: Fail): AuthConfig {
  const rawMode = env.AUTH_MODE?.trim().toLowerCase() || 'legacy';
  if (!(AUTH_MODES as readonly string[]).includes(rawMode)) {
    throw fail(`AUTH_MODE must be one of ${AUTH_MODES.join(', ')}, got "${env.AUTH_MODE}"`);
  }
  const mode = rawMode as AuthMode;
  const isSet = (name: string) => (env[name]?.trim() ?? '') !== '';
  if (mode === 'legacy') {
    return {
      mode,
      clockToleranceS: 0,
      ignored: [...KEY_VARIABLES, ...OTHER_VARIABLES].filter(isSet),
    };
  }
  const keyVariables = KEY_VARIABLES.filter(isSet);
  if (keyVariables.length !== 1) {
    throw fail(
      keyVariables.length === 0
        ? `AUTH_MODE=${mode} needs a key: set one of ${KEY_VARIABLES.join(', ')}`
        : `AUTH_MODE=${mode} takes one key source, but ${keyVariables.join(' and ')} are set: keep one of ${KEY_VARIABLES.join(', ')}`,
    );
  }
  const tolerance = env.AUTH_CLOCK_TOLERANCE_S?.trim() || '0';
  if (!/^\d+$/.test(tolerance) || Number(tolerance) > 3600) {
    throw fail(
      `AUTH_CLOCK_TOLERANCE_S must be a whole number of seconds from 0 to 3600, got "${env.AUTH_CLOCK_TOLERANCE_S}"`,
    );
  }
  return {
    mode,
    keySource: readKeySource(keyVariables[0], env[keyVariables[0]]!.trim(), fail),
    issuer: env.AUTH_JWT_ISSUER?.trim() || undefined,
    audience: env.AUTH_JWT_AUDIENCE?.trim() || undefined,
    clockToleranceS: Number(tolerance),
    ignored: [],
  };
}

function readKeySource(
  variable: (typeof KEY_VARIABLES)[number],
  raw: string,
  fail: Fail,
): AuthKeySource {
  switch (variable) {
    case 'AUTH_JWT_SECRET': {
      const secret = new TextEncoder().encode(raw);
      if (secret.length < MIN_SECRET_BYTES) {
        throw fail(
          `AUTH_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (UTF-8) for HS256, got ${secret.length}`,
        );
      }
      return { kind: 'secret', variable, secret, algorithms: ['HS256'] };
    }
    case 'AUTH_JWT_PUBLIC_KEY':
      return readPublicKey(raw, fail);
    case 'AUTH_JWKS_URL': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw fail(
          'AUTH_JWKS_URL must be a URL like https://idp.example.com/.well-known/jwks.json',
        );
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw fail(`AUTH_JWKS_URL must start with https:// or http://, got "${url.protocol}//"`);
      }
      return { kind: 'jwks', variable, url, algorithms: [...JWKS_ALGORITHMS] };
    }
  }
}

/**
 * A PEM public key (SPKI, PKCS#1 RSA or an X.509 certificate), also with its
 * line breaks written as literal "\n" as environment variables often carry
 * it. The algorithm follows from the key type, so a token can never choose
 * another one (HS256 signed with the public key, "none").
 */
function readPublicKey(raw: string, fail: Fail): AuthKeySource {
  const pem = raw.replace(/\\r\\n|\\n/g, '\n');
  if (/PRIVATE KEY/.test(pem)) {
    throw fail(
      'AUTH_JWT_PUBLIC_KEY must be a public key, and this is a private key: keep that one secret',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw fail(
      `AUTH_JWT_PUBLIC_KEY must be a PEM public key ("-----BEGIN PUBLIC KEY-----" ...): ${(error as Error).message}`,
    );
  }
  const algorithm = algorithmOf(key);
  if (!algorithm) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw fail(
      `AUTH_JWT_PUBLIC_KEY is a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key; use RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA)`,
    );
  }
  if (algorithm === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw fail('AUTH_JWT_PUBLIC_KEY is an RSA key shorter than 2048 bits, which RS256 refuses');
  }
  // "Ed25519" is EdDSA's fully specified name (RFC 9864); identity providers send either.
  const algorithms = algorithm === 'EdDSA' ? ['EdDSA', 'Ed25519'] : [algorithm];
  return { kind: 'public-key', variable: 'AUTH_JWT_PUBLIC_KEY', key, algorithms };
}

function algorithmOf(key: KeyObject): string | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec':
      return (
        { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as Record<string, string>
      )[key.asymmetricKeyDetails?.namedCurve ?? ''];
    default:
      return undefined;
  }
}
