import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { changedRows } from '../common/changed-rows.js';
import { namedQuery } from '../common/named-query.js';

/** The users an event's payload names (new_message, read_status, block_data, cleared_chat). */
const NAMED = (data: string) =>
  `ARRAY[(${data})::jsonb ->> 'senderId', (${data})::jsonb ->> 'receiverId',
         (${data})::jsonb ->> 'userId', (${data})::jsonb ->> 'user2Id']`;

/**
 * A page of the user's feed after `$2`, and the user's head, read in one
 * snapshot. Postgres writes each entry's JSON: the stored payload with its
 * `pos` spliced in before the closing brace (see FeedEvent.data).
 */
const PAGE_SQL = `
WITH page AS (
  SELECT pos, event, data FROM feed_events
  WHERE user_id = $1 AND pos > $2::bigint
  ORDER BY pos
  LIMIT $3
)
SELECT COALESCE((SELECT last_pos FROM feed_heads WHERE user_id = $1), 0) AS head,
  (SELECT min(pos) FROM page) AS first_pos,
  (SELECT max(pos) FROM page) AS last_pos,
  (SELECT count(*) FROM page)::integer AS count,
  COALESCE((SELECT string_agg(concat('{"pos":', pos, ',"event":', to_json(event),
      ',"data":', left(data, -1), ',"pos":', pos, '}}'), ',' ORDER BY pos) FROM page), '') AS events_json`;

export interface FeedPageRow {
  head: string | number;
  first_pos: string | number | null;
  last_pos: string | number | null;
  /** Events in the page: fewer than last_pos - first_pos + 1 when one inside it was pruned. */
  count: number;
  events_json: string;
}

/** The feed tables' reads and pruning (appends are feed.sql.ts's CTEs, inside each change's statement). */
@Injectable()
export class FeedRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(userId: number, since: number, limit: number): Promise<FeedPageRow> {
    const [row] = await namedQuery<FeedPageRow>(this.dataSource, 'feed_page', PAGE_SQL, [
      userId,
      since,
      limit,
    ]);
    return row;
  }

  /**
   * Deletes at most `limit` events created before `cutoff` (unix seconds),
   * skipping rows another node is deleting; returns how many it deleted.
   */
  async deleteOlderThan(cutoff: number, limit: number): Promise<number> {
    const [{ count }]: Array<{ count: number }> = await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM feed_events WHERE (user_id, pos) IN (
           SELECT user_id, pos FROM feed_events WHERE created < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING 1)
       SELECT count(*)::integer AS count FROM gone`,
      [cutoff, limit],
    );
    return Number(count);
  }

  /**
   * Erasure: the user's own feed, and every event naming the user in the
   * feeds of `partners` and of the people the user's own feed names.
   * Deleting from a partner's feed leaves a
   * hole there, which that partner's next sync answers with reset: the
   * client refetches its listing, where the erased conversations are gone.
   */
  eraseUser(manager: EntityManager, userId: number, partners: number[]): Promise<number> {
    return changedRows(
      manager,
      `DELETE FROM feed_events f
       WHERE f.user_id = $1
          OR (f.user_id IN (
                SELECT unnest($2::integer[])
                UNION
                SELECT named::integer FROM feed_events own, unnest(${NAMED('own.data')}) AS named
                WHERE own.user_id = $1 AND named ~ '^[0-9]{1,10}$' AND named <> $1::text)
              AND $1::text = ANY(${NAMED('f.data')}))`,
      [userId, partners],
    );
  }

  /** Erasure: the user's feed head (positions start again from 1). */
  eraseHead(manager: EntityManager, userId: number): Promise<number> {
    return changedRows(manager, 'DELETE FROM feed_heads WHERE user_id = $1', [userId]);
  }
}
