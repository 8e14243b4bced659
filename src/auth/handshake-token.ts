import type { Socket } from 'socket.io';
import { TokenRefusedError } from './token-refusal.js';

type Handshake = Pick<Socket['handshake'], 'auth' | 'query' | 'headers'>;

/**
 * The token a client sent in its handshake, or undefined when it sent none.
 * Three places (contract, "Extensions"): `auth.token` (Socket.IO v4 clients),
 * the `token` query parameter (v2 clients cannot send `auth`), or an
 * `Authorization: Bearer` header. Null or empty counts as none; another
 * Authorization scheme (a proxy's Basic) is not ours and is left alone.
 * Refuses a token that is not a string, a repeated query parameter, and
 * different tokens in two places (which one would the client mean?).
 */
export function tokenFromHandshake(handshake: Handshake): string | undefined {
  const found = new Set<string>();

  const fromAuth: unknown = (handshake.auth as Record<string, unknown> | undefined)?.token;
  if (fromAuth !== undefined && fromAuth !== null && fromAuth !== '') {
    if (typeof fromAuth !== 'string') throw invalid('auth.token must be a string');
    found.add(fromAuth);
  }

  const fromQuery: unknown = handshake.query?.token;
  if (Array.isArray(fromQuery)) throw invalid('the token query parameter is given more than once');
  if (typeof fromQuery === 'string' && fromQuery !== '') found.add(fromQuery);

  const header = handshake.headers?.authorization;
  const bearer = typeof header === 'string' ? /^\s*Bearer(?:\s+(\S*))?\s*$/i.exec(header) : null;
  if (bearer?.[1]) found.add(bearer[1]);

  if (found.size > 1) {
    throw invalid('the handshake carries different tokens; send one (auth.token, token or Bearer)');
  }
  return found.values().next().value;
}

function invalid(why: string): TokenRefusedError {
  return new TokenRefusedError('auth_invalid', `invalid token: ${why}`);
}
