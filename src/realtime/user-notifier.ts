import { Injectable } from '@nestjs/common';
import type { Ack, ChatServer, ChatSocket } from '../common/chat-socket.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import type { ServerEventName, ServerEventPayload } from './server-events.js';

/** Every socket of a user joins this room; with REDIS_URL the adapter reaches it on every node. */
export function userRoom(userId: number): string {
  return `user:${userId}`;
}

/**
 * The one way to reach clients: services and gateways say what to send to
 * whom; only this class touches socket.io's emit.
 */
@Injectable()
export class UserNotifier {
  private server?: ChatServer;

  constructor(private readonly metrics: ChatMetrics) {}

  /** Called once by the gateway that owns the socket.io server. */
  attach(server: ChatServer): void {
    this.server = server;
    this.metrics.countSocketsWith(() => server.of('/').sockets.size);
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
