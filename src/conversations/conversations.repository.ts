import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { namedQuery } from '../common/named-query.js';
import { parseFeedPositions } from '../feed/feed-positions.js';
import { FEED_APPEND_CTES, FEED_POSITIONS_SQL } from '../feed/feed.sql.js';
import { CLEAR_SQL, visibleToSql } from './clear-rule.sql.js';

/** A listed conversation as LISTING_SQL returns it. */
export interface ListingRecord {
  other_id: number;
  /** The row's JSON object up to and including messageType, without the closing brace. */
  json_head: string;
  unread_count: number;
}

/**
 * The user's visible conversations, newest first, with the other party's
 * profile, the last message and the unread count, in one query. Postgres
 * writes each chat_message row's JSON (contract, "Rows") up to the fields only
 * the server knows (isOnline) or that end it (unreadcount): `json_head`; see
 * JsonText for why. Every to_json() argument is non-null: concat() would
 * write a NULL as nothing and break the JSON.
 *
 * Each side of the pair is its own branch, so each uses its (user_*_id,
 * last_message_id) index and knows the other party without a CASE. The last
 * message's text, type and time are on the conversation row (the send keeps
 * them there); NULL (no last message) shows as a missing message always did.
 * The profile is fetched per listed conversation by primary key: LIMIT 1
 * keeps this lateral lookup from being flattened into a join, for which the
 * planner would rather hash the whole users table than probe it 1,000 times.
 * Unread counts come from one pass over the requester's unread messages (a
 * partial index) instead of one count each. A named statement: planning it
 * took 1.7 ms, a quarter of its run.
 */
const LISTING_SQL = `
WITH listed AS (
  SELECT id, sender_id, receiver_id, last_message_id, last_message, last_message_type, last_message_created,
         created, updated, user_high_id AS other_id, cleared_by_high AS other_cleared
  FROM chat_constants WHERE user_low_id = $1 AND NOT cleared_by_low
  UNION ALL
  SELECT id, sender_id, receiver_id, last_message_id, last_message, last_message_type, last_message_created,
         created, updated, user_low_id AS other_id, cleared_by_low AS other_cleared
  FROM chat_constants WHERE user_high_id = $1 AND NOT cleared_by_high
),
unread AS (
  SELECT chat_constant_id, count(*) AS unread_count FROM messages
  WHERE receiver_id = $1 AND read_status = 0 AND ${visibleToSql('messages', '$1')}
  GROUP BY chat_constant_id
)
SELECT c.other_id,
  concat(
    '{"id":', c.id, ',"senderId":', c.sender_id, ',"receiverId":', c.receiver_id,
    ',"groupId":0,"lastMessageId":', COALESCE(c.last_message_id, 0),
    -- The requester sees this row, so only the other party can have cleared it.
    ',"deletedId":', CASE WHEN c.other_cleared THEN c.other_id ELSE 0 END,
    ',"created":', c.created, ',"updated":', c.updated, ',"user_id":', c.other_id,
    ',"lastMessage":', to_json(COALESCE(c.last_message, '')),
    ',"userName":', to_json(other.name), ',"userImage":', to_json(COALESCE(other.image, '')),
    ',"created_at":', COALESCE(c.last_message_created, c.updated),
    ',"messageType":', COALESCE(c.last_message_type, 0)) AS json_head,
  COALESCE(unread.unread_count, 0)::integer AS unread_count
FROM listed c
CROSS JOIN LATERAL (SELECT name, image FROM users WHERE users.id = c.other_id LIMIT 1) other
LEFT JOIN unread ON unread.chat_constant_id = c.id
ORDER BY c.last_message_id DESC NULLS LAST, c.id DESC`;

/** The conversations table: the listing, and the clear with its feed entry. */
@Injectable()
export class ConversationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's visible conversations, newest first (see LISTING_SQL). */
  listFor(userId: number): Promise<ListingRecord[]> {
    return namedQuery(this.dataSource, 'chat_listing', LISTING_SQL, [userId]);
  }

  /**
   * Clears the conversation for the requester and appends cleared_chat to
   * their feed, in one transaction; returns its position.
   */
  async clearFor(requesterId: number, otherId: number): Promise<number> {
    // One transaction that first locks the conversation row: a send to this pair
    // (whose upsert locks the same row) or the other user's clear waits for it,
    // and each statement below sees everything committed before the lock. The
    // feed head is locked after it, in the send statement's order.
    return this.dataSource.transaction(async (manager) => {
      const [conversation]: Array<{ id: number }> = await manager.query(
        `SELECT id FROM chat_constants
         WHERE user_low_id = LEAST($1::integer, $2::integer) AND user_high_id = GREATEST($1::integer, $2::integer)
         FOR UPDATE`,
        [requesterId, otherId],
      );
      if (conversation) {
        await manager.query(CLEAR_SQL, [conversation.id, requesterId, otherId]);
      }
      // Even when there was nothing to clear: the answer went out, so it is in the feed too.
      const [appended]: Array<{ feed_positions: string }> = await manager.query(
        `WITH feed_source AS (
           SELECT $1::integer AS user_id, 1::bigint AS ord, 'cleared_chat'::text AS event,
             concat('{"success_message":"chat cleared successfully","senderId":', $1::integer,
                    ',"receiverId":', $2::integer, '}') AS data,
             NULL::integer AS message_id
         ),${FEED_APPEND_CTES}
         SELECT ${FEED_POSITIONS_SQL} AS feed_positions`,
        [requesterId, otherId],
      );
      return parseFeedPositions(appended.feed_positions).get(requesterId)!;
    });
  }

  /**
   * Erasure: the user's conversations (their messages are gone by then);
   * resolves to the other user of each.
   */
  async eraseUser(manager: EntityManager, userId: number): Promise<number[]> {
    const rows: Array<{ other: number }> = await manager.query(
      `WITH gone AS (DELETE FROM chat_constants WHERE user_low_id = $1 OR user_high_id = $1
                     RETURNING user_low_id, user_high_id)
       SELECT CASE WHEN user_low_id = $1 THEN user_high_id ELSE user_low_id END AS other FROM gone`,
      [userId],
    );
    return rows.map((row) => Number(row.other));
  }

  async countFor(manager: EntityManager, userId: number): Promise<Record<string, number>> {
    const [row]: Array<{ n: string | number }> = await manager.query(
      'SELECT count(*) AS n FROM chat_constants WHERE user_low_id = $1 OR user_high_id = $1',
      [userId],
    );
    return { conversations: Number(row.n) };
  }
}
