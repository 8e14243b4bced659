/**
 * Why flood control refused an event or closed a socket: the `reason` label of
 * `chat_refusals_total` (README "Limits").
 */
export type RefusalReason =
  /** The socket already had SOCKET_QUEUE_LIMIT events waiting. */
  | 'socket_queue_full'
  /** The socket's waiting events already held SOCKET_QUEUE_BYTES. */
  | 'socket_queue_bytes'
  /** The node already had NODE_PENDING_LIMIT events (or NODE_PENDING_BYTES) pending. */
  | 'node_busy'
  /** Over the per-socket rate limit. */
  | 'rate_socket'
  /** Over the per-user rate limit (all the user's sockets, every node with Redis). */
  | 'rate_user'
  /** The node is shutting down: the event arrived, or was still waiting, while it drained. */
  | 'shutting_down'
  /** Queued events of a socket that disconnected, dropped without running. */
  | 'dropped_disconnected'
  /** A socket closed for exceeding its limits again and again. */
  | 'disconnected_abuse'
  /** A socket closed for sending refused events again and again before connect_user. */
  | 'disconnected_unbound'
  /** A user's oldest socket closed because the user bound more than MAX_SOCKETS_PER_USER. */
  | 'socket_cap'
  /** Answers not yet written out to the socket already held SOCKET_OUTBOUND_BYTES. */
  | 'socket_outbound_bytes'
  /** A socket closed for staying over SOCKET_OUTBOUND_BYTES unsent (it does not read). */
  | 'disconnected_slow_reader';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'socket_queue_full',
  'socket_queue_bytes',
  'node_busy',
  'rate_socket',
  'rate_user',
  'shutting_down',
  'dropped_disconnected',
  'disconnected_abuse',
  'disconnected_unbound',
  'socket_cap',
  'socket_outbound_bytes',
  'disconnected_slow_reader',
];

/** An event that is not carried out: what the client is told (the `exception` message) and why. */
export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

/** The shutdown refusal, worded as the socket interceptor words it. */
export const SHUTTING_DOWN: Refusal = {
  reason: 'shutting_down',
  message: 'the server is shutting down; reconnect and send again',
};
