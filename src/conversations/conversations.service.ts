import { Injectable, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../events/domain-events.js';
import './conversation-events.js';
import { PresenceService } from '../presence/presence.service.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { UsersService } from '../users/users.service.js';
import { JsonText } from '../realtime/json-text.js';
import type { ConversationRow } from './conversation-row.js';
import { ConversationsRepository } from './conversations.repository.js';

@Injectable()
export class ConversationsService implements OnModuleInit {
  constructor(
    private readonly repository: ConversationsRepository,
    private readonly users: UsersService,
    private readonly presence: PresenceService,
    private readonly events: DomainEvents,
    private readonly registry: UserDataRegistry,
  ) {}

  onModuleInit(): void {
    // After messages (which reference conversations), before users.
    this.registry.register({
      name: 'chat_constants',
      order: 400,
      erase: async (manager, userId, scope) => {
        const others = await this.repository.eraseUser(manager, userId);
        for (const other of others) scope.partners.add(other);
        return others.length;
      },
      count: (manager, userId) => this.repository.countFor(manager, userId),
    });
  }

  /** chat_message's rows for the user, encoded. */
  async list(userId: number): Promise<JsonText<ConversationRow[]>> {
    const records = await this.repository.listFor(userId);
    const online = await this.presence.onlineUsers(records.map((r) => Number(r.other_id)));
    const rows = records.map(
      (r) =>
        `${r.json_head},"isOnline":${online.has(Number(r.other_id)) ? 1 : 0},"unreadcount":${Number(r.unread_count)}}`,
    );
    return new JsonText(`[${rows.join(',')}]`);
  }

  /**
   * Clears the conversation for the requester; cleared_chat goes into the
   * requester's feed (their other devices clear too). Returns its position.
   */
  async clear(requesterId: number, otherId: number): Promise<number> {
    await this.users.requireProfiles(otherId);
    const pos = await this.repository.clearFor(requesterId, otherId);
    this.events.publish('conversation.cleared', { userId: requesterId, otherId, pos });
    return pos;
  }
}
