import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEvents } from '../events/domain-events.js';
import { FeedPositions, parseFeedPositions } from '../feed/feed-positions.js';
import { FEED_APPEND_CTES, FEED_POSITIONS_SQL } from '../feed/feed.sql.js';
import { UsersService } from '../users/users.service.js';
import { BlockRefusal, blockRefusalMessage, blockRefusalSql } from './block-rule.sql.js';
import './moderation-events.js';
import { Report } from './report.entity.js';

export { BLOCKED_BY, YOU_BLOCKED } from './block-rule.sql.js';

@Injectable()
export class ModerationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Blocks (status 1) or unblocks (0); both idempotent, and both users are
   * told either way (block_data, as the legacy server did), in one statement
   * with the feed entries.
   */
  async setBlock(blockerId: number, blockedId: number, status: 0 | 1): Promise<FeedPositions> {
    await this.users.requireProfiles(blockedId);
    const change =
      status === 1
        ? `INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`
        : `DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1`;
    const [result]: Array<{ feed_positions: string | null }> = await this.dataSource.query(
      `WITH changed AS (${change}),
       feed_source AS (
         -- block_data's payload (status and blocker echoed as strings, as the legacy server sent them).
         SELECT u.user_id, u.ord::bigint AS ord, 'block_data'::text AS event,
           concat('{"block_data":', to_json($3::text), ',"userId":', to_json($1::text), '}') AS data,
           NULL::integer AS message_id
         FROM (VALUES ($1::integer, 1), ($2::integer, 2)) AS u(user_id, ord)
         WHERE (SELECT count(*) FROM changed) >= 0
       ),${FEED_APPEND_CTES}
       SELECT ${FEED_POSITIONS_SQL} AS feed_positions`,
      [blockerId, blockedId, String(status)],
    );
    const feed = parseFeedPositions(result.feed_positions);
    this.events.publish(status === 1 ? 'user.blocked' : 'user.unblocked', {
      blockerId,
      blockedId,
      feed,
    });
    return feed;
  }

  /** Why a message from `senderId` to `receiverId` may not be sent (the block rule), or null. */
  async blockRefusal(senderId: number, receiverId: number): Promise<string | null> {
    const [{ refusal }]: Array<{ refusal: BlockRefusal | null }> = await this.dataSource.query(
      `SELECT ${blockRefusalSql('$1::integer', '$2::integer')} AS refusal`,
      [senderId, receiverId],
    );
    return refusal && blockRefusalMessage(refusal);
  }

  /** Every report is kept. */
  async report(reporterId: number, reportedId: number, comment?: string): Promise<void> {
    await this.users.requireProfiles(reportedId);
    await this.dataSource
      .getRepository(Report)
      .insert({ reporterId, reportedId, comment: comment ?? null });
  }
}
