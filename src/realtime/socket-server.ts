import { Injectable } from '@nestjs/common';
import type { ChatServer, ChatSocket } from '../common/chat-socket.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';

/** Every socket of a user joins this room; with REDIS_URL the adapter reaches it on every node. */
export function userRoom(userId: number): string {
  return `user:${userId}`;
}

/** The user's sockets that opted in to the feed also join this room: they get feed events with `pos`. */
export function feedRoom(userId: number): string {
  return `feed:${userId}`;
}

/** This node's socket.io server, once started, and the sockets connected to it. */
@Injectable()
export class SocketServer {
  server?: ChatServer;
  private readonly attachListeners: Array<(server: ChatServer) => void> = [];

  constructor(private readonly metrics: ChatMetrics) {}

  /** Called once by the gateway that owns the socket.io server. */
  attach(server: ChatServer): void {
    this.server = server;
    this.metrics.countSocketsWith(() => server.of('/').sockets.size);
    for (const listener of this.attachListeners) listener(server);
  }

  /** Runs `listener` with the server once it is attached (at once if it is). */
  onAttach(listener: (server: ChatServer) => void): void {
    this.attachListeners.push(listener);
    if (this.server) listener(this.server);
  }

  /** Binds the socket to its user: it acts as that user and joins the user's room. */
  bind(client: ChatSocket, userId: number): void {
    client.data.userId = userId;
    // Opted in at the handshake (since) before it was bound: its feed room from the same moment.
    void client.join(client.data.feed ? [userRoom(userId), feedRoom(userId)] : userRoom(userId));
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
}
