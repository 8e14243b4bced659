import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FeedPositions, parseFeedPositions } from '../feed/feed-positions.js';
import { FEED_APPEND_CTES, FEED_POSITIONS_SQL } from '../feed/feed.sql.js';
import { BlockRefusal, blockRefusalSql } from './block-rule.sql.js';

/** The blocks and reports tables; one statement per method. */
@Injectable()
export class ModerationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Blocks (status 1) or unblocks (0), idempotently, and appends block_data
   * to both users' feeds in the same statement (they are told either way).
   */
  async setBlock(blockerId: number, blockedId: number, status: 0 | 1): Promise<FeedPositions> {
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
    return parseFeedPositions(result.feed_positions);
  }

  /** The block rule for one message (see blockRefusalSql). */
  async blockRefusal(senderId: number, receiverId: number): Promise<BlockRefusal | null> {
    const [{ refusal }]: Array<{ refusal: BlockRefusal | null }> = await this.dataSource.query(
      `SELECT ${blockRefusalSql('$1::integer', '$2::integer')} AS refusal`,
      [senderId, receiverId],
    );
    return refusal;
  }

  async addReport(reporterId: number, reportedId: number, comment: string | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO reports (reporter_id, reported_id, comment) VALUES ($1, $2, $3)`,
      [reporterId, reportedId, comment],
    );
  }
}
