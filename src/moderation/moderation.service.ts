import { Injectable } from '@nestjs/common';
import { DomainEvents } from '../events/domain-events.js';
import type { FeedPositions } from '../feed/feed-positions.js';
import { UsersService } from '../users/users.service.js';
import { blockRefusalMessage } from './block-rule.sql.js';
import './moderation-events.js';
import { ModerationRepository } from './moderation.repository.js';

export { BLOCKED_BY, YOU_BLOCKED } from './block-rule.sql.js';

@Injectable()
export class ModerationService {
  constructor(
    private readonly repository: ModerationRepository,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Blocks (status 1) or unblocks (0); both idempotent, and both users are
   * told either way (block_data, as the legacy server did).
   */
  async setBlock(blockerId: number, blockedId: number, status: 0 | 1): Promise<FeedPositions> {
    await this.users.requireProfiles(blockedId);
    const feed = await this.repository.setBlock(blockerId, blockedId, status);
    this.events.publish(status === 1 ? 'user.blocked' : 'user.unblocked', {
      blockerId,
      blockedId,
      feed,
    });
    return feed;
  }

  /** Why a message from `senderId` to `receiverId` may not be sent (the block rule), or null. */
  async blockRefusal(senderId: number, receiverId: number): Promise<string | null> {
    const refusal = await this.repository.blockRefusal(senderId, receiverId);
    return refusal && blockRefusalMessage(refusal);
  }

  /** Every report is kept. */
  async report(reporterId: number, reportedId: number, comment?: string): Promise<void> {
    await this.users.requireProfiles(reportedId);
    await this.repository.addReport(reporterId, reportedId, comment ?? null);
  }
}
