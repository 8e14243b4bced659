import { Injectable } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { ChatSocket } from '../common/chat-socket.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { UsersService } from '../users/users.service.js';

/** Who is online: a user with at least one connected, bound socket. */
@Injectable()
export class PresenceService {
  constructor(
    private readonly users: UsersService,
    private readonly notifier: UserNotifier,
  ) {}

  /**
   * Binds a socket to a user. Binding the same user again is harmless (apps
   * re-emit connect_user on every reconnect); another user is refused.
   */
  async bind(client: ChatSocket, userId: number): Promise<void> {
    const bound = client.data.userId;
    if (bound !== undefined && bound !== userId) {
      throw new WsException(
        `this socket is already connected as user ${bound}; open a new connection for user ${userId}`,
      );
    }
    await this.users.requireProfiles(userId);
    // Events of one socket are handled in order, but re-check after the await anyway.
    if (client.data.userId !== undefined && client.data.userId !== userId) {
      throw new WsException(`this socket is already connected as user ${client.data.userId}`);
    }
    this.notifier.bind(client, userId);
  }

  /** The users among `userIds` that are online. */
  async onlineUsers(userIds: number[]): Promise<Set<number>> {
    return new Set(userIds.filter((id) => this.notifier.localSocketCount(id) > 0));
  }
}
