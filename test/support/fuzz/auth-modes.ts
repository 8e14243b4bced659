// How a fuzz socket connects and binds, per AUTH_MODE (issue 9, part 1):
// legacy binds with connect_user; optional and required carry an HS256 token
// in the handshake (auth.token for v4, the token query for v2).
import { SignJWT } from 'jose';
import { io as ioV4 } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import type { ClientVersion, TestSocket } from '../sockets.js';

export type AuthModeName = 'legacy' | 'optional' | 'required';

export interface AuthMode {
  name: AuthModeName;
  /** Server environment for this mode (added to the fuzz server's). */
  env: Record<string, string>;
  /** Whether a socket without identity can connect at all (not in `required`). */
  allowsUnboundSocket: boolean;
  /** Handshake options that carry `userId`'s identity (none for an unbound socket). */
  handshake(userId: number | undefined, version: ClientVersion): Promise<Record<string, unknown>>;
}

const FUZZ_JWT_SECRET = 'fuzz-secret-of-at-least-32-bytes-0123456789';

/** An HS256 token for `userId` (sub = the id as a string of digits), valid for an hour. */
export async function mintToken(userId: number, secret = FUZZ_JWT_SECRET): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

/** v4 clients send the token in `auth.token`, v2 clients in the `token` query parameter. */
async function tokenHandshake(
  userId: number | undefined,
  version: ClientVersion,
): Promise<Record<string, unknown>> {
  if (userId === undefined) return {};
  const token = await mintToken(userId);
  return version === 'v2' ? { query: { token } } : { auth: { token } };
}

export const AUTH_MODES: Record<AuthModeName, AuthMode> = {
  legacy: {
    name: 'legacy',
    env: { AUTH_MODE: 'legacy' },
    allowsUnboundSocket: true,
    handshake: () => Promise.resolve({}),
  },
  optional: {
    name: 'optional',
    env: { AUTH_MODE: 'optional', AUTH_JWT_SECRET: FUZZ_JWT_SECRET },
    allowsUnboundSocket: true,
    handshake: tokenHandshake,
  },
  required: {
    name: 'required',
    env: { AUTH_MODE: 'required', AUTH_JWT_SECRET: FUZZ_JWT_SECRET },
    allowsUnboundSocket: false,
    handshake: tokenHandshake,
  },
};

/**
 * The modes to fuzz: FUZZ_AUTH_MODES (comma-separated), all three by default.
 */
export function fuzzAuthModes(): AuthMode[] {
  const names = (process.env.FUZZ_AUTH_MODES ?? 'legacy,optional,required')
    .split(',')
    .map((name) => name.trim());
  return names.map((name) => {
    const mode = AUTH_MODES[name as AuthModeName];
    if (!mode) throw new Error(`FUZZ_AUTH_MODES: unknown mode "${name}"`);
    return mode;
  });
}

/** Opens a socket over websocket with the mode's handshake and waits until it is connected. */
export async function openSocket(
  url: string,
  mode: AuthMode,
  userId: number | undefined,
  version: ClientVersion,
): Promise<TestSocket> {
  const handshake = await mode.handshake(userId, version);
  const options = { transports: ['websocket'], forceNew: true, reconnection: false, ...handshake };
  const socket = (version === 'v2'
    ? ioV2(url, options)
    : ioV4(url, options)) as unknown as TestSocket;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 5 s')), 5000);
    socket.on('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return socket;
}
