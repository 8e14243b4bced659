// Tokens and keys for the token-mode tests: signed with jose, as an identity
// provider would, plus the forgeries an attacker would try.
import { createServer, type Server } from 'node:http';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/** A 32-byte HS256 secret (AUTH_JWT_SECRET). */
export const SECRET = 'test-secret-of-at-least-32-bytes-long!!';
export const OTHER_SECRET = 'another-secret-of-at-least-32-bytes!!!';

export type KeyAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'ES384';

export interface TestKeyPair {
  alg: KeyAlgorithm;
  privateKey: CryptoKey;
  /** SPKI PEM, as AUTH_JWT_PUBLIC_KEY takes it. */
  publicPem: string;
  /** The public key as a JWK, with `kid` and `alg`, for a JWKS. */
  publicJwk: JWK;
}

let kids = 0;

export async function keyPair(alg: KeyAlgorithm, kid = `key-${++kids}`): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, privateKey, publicPem: await exportSPKI(publicKey), publicJwk };
}

export interface TokenOptions {
  /** Claims; `sub` defaults to nothing, give it (as a string) for a normal token. */
  claims?: JWTPayload;
  /** Seconds from now; left out, no exp claim. */
  expiresIn?: number;
  /** Seconds from now. */
  notBefore?: number;
  /** Protected header additions (kid, or a lying alg). */
  header?: Record<string, unknown>;
}

function builder({ claims = {}, expiresIn, notBefore }: TokenOptions): SignJWT {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...claims }).setIssuedAt(now);
  if (expiresIn !== undefined) jwt.setExpirationTime(now + expiresIn);
  if (notBefore !== undefined) jwt.setNotBefore(now + notBefore);
  return jwt;
}

/** An HS256 token signed with `secret` (UTF-8 bytes). */
export function hs256(secret: string, options: TokenOptions = {}): Promise<string> {
  return builder(options)
    .setProtectedHeader({ alg: 'HS256', ...options.header })
    .sign(new TextEncoder().encode(secret));
}

/** A token signed with the key pair's private key, `kid` in the header. */
export function signed(pair: TestKeyPair, options: TokenOptions = {}): Promise<string> {
  return builder(options)
    .setProtectedHeader({ alg: pair.alg, kid: pair.publicJwk.kid, ...options.header })
    .sign(pair.privateKey);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `alg: none`: no signature at all. */
export function unsigned(claims: JWTPayload): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

/** Algorithm confusion: HS256 with the server's *public* key (its PEM text) as the HMAC secret. */
export function confused(pair: TestKeyPair, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: pair.publicJwk.kid })
    .sign(new TextEncoder().encode(pair.publicPem));
}

/** A PEM as an environment variable often carries it: one line, breaks written as `\n`. */
export const escapedPem = (pem: string) => pem.trim().replace(/\n/g, '\\n');

/**
 * A local JWKS endpoint (AUTH_JWKS_URL) whose keys the test changes, counting
 * the requests it answers; `status` other than 200 simulates an outage.
 */
export interface JwksServer {
  url: string;
  keys: JWK[];
  requests: number;
  status: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { keys, requests: 0, status: 200 };
  const server: Server = createServer((_request, response) => {
    state.requests++;
    if (state.status !== 200) {
      response.writeHead(state.status).end('unavailable');
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(value) {
      state.keys = value;
    },
    get requests() {
      return state.requests;
    },
    set requests(value) {
      state.requests = value;
    },
    get status() {
      return state.status;
    },
    set status(value) {
      state.status = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
