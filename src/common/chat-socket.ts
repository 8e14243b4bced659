import type { Server, Socket } from 'socket.io';
import type { ServerToClientEvents } from '../realtime/server-events.js';

/** What the server remembers about a socket. */
export interface ChatSocketData {
  /** The user bound by connect_user; undefined until then. */
  userId?: number;
  /** Token mode: the user of the token verified at the handshake (bound at connect). */
  tokenUserId?: number;
  /** Token mode: the token's `exp` (unix seconds); undefined when it has none. */
  tokenExpiresAt?: number;
  /** Opted in to the durable feed (sent sync, or connected with since): live feed events carry `pos`. */
  feed?: boolean;
  /** The handshake's `since`, until the first connect_user pushes its sync_data page. */
  handshakeSince?: unknown;
}

export type ChatSocket = Socket<
  Record<string, never>,
  ServerToClientEvents,
  Record<string, never>,
  ChatSocketData
>;
export type ChatServer = Server<
  Record<string, never>,
  ServerToClientEvents,
  Record<string, never>,
  ChatSocketData
>;

/** Ack callbacks are optional; old clients rarely pass one. */
export type Ack = ((payload: unknown) => void) | undefined;
