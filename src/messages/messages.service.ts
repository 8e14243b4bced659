import { Injectable, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../events/domain-events.js';
import type { FeedPositions } from '../feed/feed-positions.js';
import './message-events.js';
import { ACCOUNT_SUSPENDED } from '../bans/ban-rule.sql.js';
import { ForbiddenError, UnavailableError } from '../errors/domain-errors.js';
import { blockRefusalMessage } from '../moderation/block-rule.sql.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { UsersService } from '../users/users.service.js';
import type { MessageType } from './message.entity.js';
import { JsonText } from '../realtime/json-text.js';
import type { HistoryRow, NewMessageRow } from './message-row.mapper.js';
import { MessagesRepository } from './messages.repository.js';
import { SendBatcher } from './send-batcher.js';

/**
 * A send's answer: the stored row (`repeat` when an earlier send with the same
 * clientMessageId stored it: only the caller is answered), or a refusal.
 */
export type SendResult =
  | { stored: true; repeat: boolean; row: NewMessageRow; feed: FeedPositions }
  | { stored: false; refusal: string };

export interface HistoryResult {
  /** get_data_message's rows, encoded. */
  rows: JsonText<HistoryRow[]>;
  /** How many messages this request turned from unread to read. */
  markedRead: number;
}

/** What read_unread changed, and where its read_status went in both feeds. */
export interface MarkReadResult {
  changed: number;
  feed: FeedPositions;
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

@Injectable()
export class MessagesService implements OnModuleInit {
  constructor(
    private readonly repository: MessagesRepository,
    private readonly users: UsersService,
    private readonly batcher: SendBatcher,
    private readonly events: DomainEvents,
    private readonly registry: UserDataRegistry,
  ) {}

  onModuleInit(): void {
    // Before chat_constants (their foreign key) and users.
    this.registry.register({
      name: 'messages',
      order: 300,
      erase: (manager, userId) => this.repository.eraseUser(manager, userId),
      count: (manager, userId) => this.repository.countSent(manager, userId),
    });
  }

  /**
   * Stores the message (with concurrent sends, in one statement: see SendBatcher)
   * and returns the row once it is committed, or why it was refused.
   * `onQueued` runs once the message has its place in the order of storage:
   * a send made after that is stored after this one.
   */
  async send(
    senderId: number,
    receiverId: number,
    messageType: MessageType,
    text: string,
    clientMessageId?: string,
    onQueued?: () => void,
  ): Promise<SendResult> {
    const message = { senderId, receiverId, messageType, text, created: unixSeconds() };
    const storing = this.batcher.store(
      clientMessageId === undefined ? message : { ...message, clientMessageId },
    );
    onQueued?.();
    const outcome = await storing;
    if (outcome.kind !== 'refused') {
      // Postgres wrote the row (newMessageRowSql): as the feeds hold it, for a message just stored.
      const row = JSON.parse(outcome.rowJson) as NewMessageRow;
      if (outcome.kind === 'repeat') return { stored: true, repeat: true, row, feed: new Map() };
      // Null only for a message stored before the feed existed and found again by a retry.
      const feed: FeedPositions = outcome.feed
        ? new Map([
            [senderId, outcome.feed.senderPos],
            [receiverId, outcome.feed.receiverPos],
          ])
        : new Map();
      this.events.publish('message.stored', { row, feed });
      return { stored: true, repeat: false, row, feed };
    }
    if (outcome.refusal === 'unknown_sender' || outcome.refusal === 'unknown_receiver') {
      // The cache may still hold a user the statement found missing: the database decides.
      await this.users.requireStoredProfiles(senderId, receiverId);
      // Created between the statement and this read: nothing was stored, so a resend is safe.
      throw new UnavailableError(
        'the message was not stored (a user was just created); please send it again',
      );
    }
    // A node that has not heard of the ban yet still lets the statement refuse it.
    if (outcome.refusal === 'banned') throw new ForbiddenError(ACCOUNT_SUSPENDED);
    // The statement judged the block rule in the same snapshot as the insert.
    return { stored: false, refusal: blockRefusalMessage(outcome.refusal) };
  }

  async history(
    requesterId: number,
    otherId: number,
    limit?: number,
    beforeId?: number,
  ): Promise<HistoryResult> {
    const [requester, other] = await this.users.requireProfiles(requesterId, otherId);
    const result = await this.repository.readPage(requesterId, otherId, limit, beforeId, {
      requester,
      other,
    });
    const { markedRead, feed, rows } = result;
    if (markedRead > 0)
      this.events.publish('messages.read', { readerId: requesterId, otherId, feed });
    return { rows, markedRead };
  }

  /**
   * Marks every unread message from `senderId` to `readerId` as read and tells
   * both users (read_unread does even when nothing changed, as the legacy server did).
   */
  async markRead(readerId: number, senderId: number): Promise<MarkReadResult> {
    await this.users.requireProfiles(readerId, senderId);
    const { changed, feed } = await this.repository.markRead(readerId, senderId);
    this.events.publish('messages.read', { readerId, otherId: senderId, feed });
    return { changed, feed };
  }
}
