import { Injectable } from '@nestjs/common';
import type { ChatSocket } from '../common/chat-socket.js';
import { ForbiddenError } from '../errors/domain-errors.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { FloodControlService } from '../flood-control/flood-control.service.js';
import { SocketServer } from '../realtime/socket-server.js';
import { UsersService } from '../users/users.service.js';
import { PresenceStore } from './presence-store.js';

/** Who is online: a user with at least one connected, bound socket, on any node. */
@Injectable()
export class PresenceService {
  constructor(
    private readonly users: UsersService,
    private readonly sockets: SocketServer,
    private readonly store: PresenceStore,
    private readonly metrics: ChatMetrics,
    private readonly floodControl: FloodControlService,
  ) {}

  /**
   * Binds a socket to a user. Binding the same user again is harmless (apps
   * re-emit connect_user on every reconnect); another user is refused.
   */
  async bind(client: ChatSocket, userId: number): Promise<void> {
    const bound = client.data.userId;
    if (bound !== undefined && bound !== userId) {
      throw new ForbiddenError(
        `this socket is already connected as user ${bound}; open a new connection for user ${userId}`,
      );
    }
    await this.users.requireProfiles(userId);
    // Events of one socket are handled in order, but re-check after the await anyway.
    if (client.data.userId !== undefined && client.data.userId !== userId) {
      throw new ForbiddenError(`this socket is already connected as user ${client.data.userId}`);
    }
    // Already bound, or gone while the profile was read (joining then would leave a ghost in the room).
    if (client.data.userId === userId || !client.connected) return;
    this.sockets.bind(client, userId);
    // Once per socket: token sockets are bound at connect (TokenAuthGateway), others by connect_user.
    this.metrics.binds.inc({ kind: client.data.tokenUserId === undefined ? 'legacy' : 'token' });
    this.store.socketsChanged(userId, this.sockets.localSocketCount(userId));
    // Over MAX_SOCKETS_PER_USER here, the user's oldest socket goes.
    this.floodControl.enforceSocketCap(userId);
  }

  /** A socket left; socket.io has already taken it out of its user's room. */
  unbound(client: ChatSocket): void {
    const userId = client.data.userId;
    if (userId !== undefined)
      this.store.socketsChanged(userId, this.sockets.localSocketCount(userId));
  }

  /** The users among `userIds` that are online. */
  onlineUsers(userIds: number[]): Promise<Set<number>> {
    return this.store.onlineAmong(userIds);
  }
}
