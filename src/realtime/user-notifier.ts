import { Injectable, Logger } from '@nestjs/common';
import type { Ack, ChatServer, ChatSocket } from '../common/chat-socket.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { RedisConnections } from '../redis/redis-connections.js';
import type { ServerEventName, ServerEventPayload } from './server-events.js';

/** Every socket of a user joins this room; with REDIS_URL the adapter reaches it on every node. */
export function userRoom(userId: number): string {
  return `user:${userId}`;
}

/** The user's sockets that opted in to the feed also join this room: they get feed events with `pos`. */
export function feedRoom(userId: number): string {
  return `feed:${userId}`;
}

/** One addressee of a feed event: the user, and where the event is in their feed (null: not in it). */
export interface FeedTarget {
  userId: number;
  pos: number | null | undefined;
}

/**
 * The one way to reach clients: services and gateways say what to send to
 * whom; only this class touches socket.io's emit.
 */
@Injectable()
export class UserNotifier {
  private readonly logger = new Logger('Nodes');
  private server?: ChatServer;
  private readonly nodeListeners: Array<[string, (payload: unknown) => void]> = [];
  private readonly boundListeners: Array<(client: ChatSocket) => void> = [];

  constructor(
    private readonly metrics: ChatMetrics,
    private readonly redis: RedisConnections,
  ) {}

  /** Called once by the gateway that owns the socket.io server. */
  attach(server: ChatServer): void {
    this.server = server;
    this.metrics.countSocketsWith(() => server.of('/').sockets.size);
    for (const [event, listener] of this.nodeListeners) this.listen(event, listener);
  }

  /**
   * Tells every other node (through the Redis adapter) and resolves once they
   * all acknowledged, or after `timeoutMs` (a node that does not answer is
   * down or stalled). A single node has no one to tell.
   */
  async toOtherNodes(event: string, payload: unknown, timeoutMs = 2000): Promise<void> {
    const server = this.server;
    // Without Redis there are no other nodes (and the in-memory adapter cannot do this).
    if (!server || !this.redis.enabled) return;
    if (!this.redis.isReady) {
      // Nobody can hear it now; see RedisConnections.onReconnect for the resync.
      this.logger.warn(`Redis is unreachable: ${event} not sent to the other nodes`);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      // The adapter's own request timeout applies too; this one also covers a Redis hiccup.
      timer = setTimeout(() => {
        this.logger.warn(`not every node acknowledged ${event} within ${timeoutMs} ms`);
        resolve();
      }, timeoutMs + 500);
      (server.serverSideEmit as (e: string, p: unknown, ack: (e: Error | null) => void) => boolean)(
        event,
        payload,
        (error) => {
          if (error) this.logger.warn(`not every node acknowledged ${event}: ${error.message}`);
          resolve();
        },
      );
    });
    clearTimeout(timer);
  }

  /** Runs `listener` when another node sends `event` with toOtherNodes. */
  onNodeEvent(event: string, listener: (payload: unknown) => void): void {
    this.nodeListeners.push([event, listener]);
    if (this.server) this.listen(event, listener);
  }

  private listen(event: string, listener: (payload: unknown) => void): void {
    (this.server!.on as (e: string, l: (p: unknown, ack?: () => void) => void) => unknown)(
      event,
      (payload, ack) => {
        listener(payload);
        ack?.();
      },
    );
  }

  /** Sends to every socket of each user (each socket once, even if it is in several rooms). */
  toUsers<E extends ServerEventName>(
    userIds: number[],
    event: E,
    payload: ServerEventPayload<E>,
  ): void {
    if (!this.server) throw new Error('UserNotifier used before the socket server started');
    const rooms = [...new Set(userIds)].map(userRoom);
    (this.server.to(rooms).emit as (e: string, p: unknown) => boolean)(event, payload);
    this.metrics.deliveries.inc({ event }, rooms.length);
  }

  /**
   * Sends a feed event to every socket of each target: legacy sockets get the
   * payload exactly as the legacy server sent it (one emit for all), sockets
   * that opted in get it with their user's position (one emit per user).
   */
  toFeeds<E extends ServerEventName>(
    targets: FeedTarget[],
    event: E,
    payload: ServerEventPayload<E>,
  ): void {
    // No socket server (a service used on its own, in a spec or a job): no socket to reach.
    if (!this.server) return;
    const rooms = [...new Set(targets.map((t) => t.userId))].map(userRoom);
    const positioned = targets.filter((t) => typeof t.pos === 'number');
    const legacy = this.server.to(rooms);
    (
      legacy.except(positioned.map((t) => feedRoom(t.userId))).emit as (
        e: string,
        p: unknown,
      ) => boolean
    )(event, payload);
    for (const target of positioned) {
      (this.server.to(feedRoom(target.userId)).emit as (e: string, p: unknown) => boolean)(event, {
        ...(payload as object),
        pos: target.pos,
      });
    }
    this.metrics.deliveries.inc({ event }, rooms.length);
  }

  /** The payload as `client` sees it: with the position when it opted in to the feed. */
  forSocket<T extends object>(client: ChatSocket, payload: T, pos: number | null | undefined): T {
    return client.data.feed && typeof pos === 'number' ? { ...payload, pos } : payload;
  }

  /** Opts the socket in to the feed: from now on its feed events carry `pos`. */
  joinFeed(client: ChatSocket): void {
    if (client.data.feed || client.data.userId === undefined) return;
    client.data.feed = true;
    void client.join(feedRoom(client.data.userId));
  }

  /** Runs `listener` each time a socket's connect_user has been answered. */
  onBound(listener: (client: ChatSocket) => void): void {
    this.boundListeners.push(listener);
  }

  /** Called by connect_user once connect_listener went out. */
  announceBound(client: ChatSocket): void {
    for (const listener of this.boundListeners) listener(client);
  }

  /** Sends to one socket only. */
  toSocket<E extends ServerEventName>(
    client: ChatSocket,
    event: E,
    payload: ServerEventPayload<E>,
  ): void {
    (client.emit as (e: string, p: unknown) => boolean)(event, payload);
    this.metrics.deliveries.inc({ event });
  }

  /** Answers the calling socket: the answer event, and the ack when the client gave one. */
  answer<E extends ServerEventName>(
    client: ChatSocket,
    ack: Ack,
    event: E,
    payload: ServerEventPayload<E>,
  ): void {
    this.toSocket(client, event, payload);
    ack?.(payload);
  }

  /** Calls the ack alone, for answers that already reached the caller through a room. */
  acknowledge(ack: Ack, payload: unknown): void {
    ack?.(payload);
  }

  /** How many sockets of the user are connected to this node. */
  localSocketCount(userId: number): number {
    return this.server?.of('/').adapter.rooms.get(userRoom(userId))?.size ?? 0;
  }

  /** The user's sockets connected to this node, in the order they were bound (oldest first). */
  localSocketsOf(userId: number): ChatSocket[] {
    const namespace = this.server?.of('/');
    const ids = namespace?.adapter.rooms.get(userRoom(userId));
    if (!namespace || !ids) return [];
    const sockets: ChatSocket[] = [];
    for (const id of ids) {
      const socket = namespace.sockets.get(id);
      if (socket) sockets.push(socket);
    }
    return sockets;
  }

  /** The sockets connected to this node. */
  localSockets(): ChatSocket[] {
    return this.server ? [...this.server.of('/').sockets.values()] : [];
  }

  /** Joins a socket to its user's room. */
  bind(client: ChatSocket, userId: number): void {
    client.data.userId = userId;
    void client.join(userRoom(userId));
  }
}
