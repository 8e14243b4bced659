import { Injectable } from '@nestjs/common';
import type { Ack, ChatServer, ChatSocket } from '../common/chat-socket.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import type { ServerEventName, ServerEventPayload } from './server-events.js';
import { feedRoom, SocketServer, userRoom } from './socket-server.js';

export { feedRoom, userRoom } from './socket-server.js';

/** One addressee of a feed event: the user, and where the event is in their feed (null: not in it). */
export interface FeedTarget {
  userId: number;
  pos: number | null | undefined;
}

/**
 * The one way to reach clients: services and gateways say what to send to
 * whom; only this class touches socket.io's emit. (Node-to-node messages are
 * NodeBus's; which sockets are here, SocketServer's.)
 */
@Injectable()
export class UserNotifier {
  private readonly boundListeners: Array<(client: ChatSocket) => void> = [];

  constructor(
    private readonly sockets: SocketServer,
    private readonly metrics: ChatMetrics,
  ) {}

  private get server(): ChatServer | undefined {
    return this.sockets.server;
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
    if (client.data.userId === undefined) return;
    client.data.feed = true;
    // Joining again is harmless (a handshake since may have set feed before the socket was bound).
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
}
