/**
 * Where "is this user online anywhere?" is answered. One node answers from its
 * own rooms; several nodes share counts in Redis (see RedisPresenceStore).
 */
export abstract class PresenceStore {
  /** This node now has `localSockets` bound sockets of the user (0 after the last one left). */
  abstract socketsChanged(userId: number, localSockets: number): void;

  /** The users among `userIds` with at least one bound socket on any live node. */
  abstract onlineAmong(userIds: number[]): Promise<Set<number>>;

  /** On graceful shutdown: this node's users stop counting as online at once. */
  abstract withdraw(): Promise<void>;
}
