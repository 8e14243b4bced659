import { Injectable, OnModuleInit } from '@nestjs/common';
import '../conversations/conversation-events.js';
import { DomainEvents } from '../events/domain-events.js';
import type { FeedPositions } from '../feed/feed-positions.js';
import '../messages/message-events.js';
import '../moderation/moderation-events.js';
import { UserNotifier } from '../realtime/user-notifier.js';

/**
 * Turns domain events into the legacy wire events for every socket of the
 * users they concern (answers to the calling socket alone stay with the
 * gateways). Sockets that opted in to the feed get each event's `pos`.
 */
@Injectable()
export class SocketDelivery implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly notifier: UserNotifier,
  ) {}

  onModuleInit(): void {
    this.events.on('message.stored', ({ row, feed }) => {
      this.notifier.toFeeds(targets(feed, row.senderId, row.receiverId), 'new_message', row);
    });
    this.events.on('messages.read', ({ readerId, otherId, feed }) => {
      this.notifier.toFeeds(targets(feed, readerId, otherId), 'read_status', {
        userId: readerId,
        user2Id: otherId,
        readStatus: 1,
      });
    });
    const blockData =
      (status: 0 | 1) =>
      ({
        blockerId,
        blockedId,
        feed,
      }: {
        blockerId: number;
        blockedId: number;
        feed: FeedPositions;
      }) => {
        // Status and blocker go out as strings, as the legacy server sent them.
        this.notifier.toFeeds(targets(feed, blockerId, blockedId), 'block_data', {
          block_data: String(status),
          userId: String(blockerId),
        });
      };
    this.events.on('user.blocked', blockData(1));
    this.events.on('user.unblocked', blockData(0));
  }
}

function targets(feed: FeedPositions, ...userIds: number[]) {
  return userIds.map((userId) => ({ userId, pos: feed.get(userId) }));
}
