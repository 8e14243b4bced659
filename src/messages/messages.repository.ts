import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { changedRows } from '../common/changed-rows.js';
import { visibleToSql } from '../conversations/clear-rule.sql.js';
import { FeedPositions, parseFeedPositions } from '../feed/feed-positions.js';
import { FEED_APPEND_CTES, FEED_POSITIONS_SQL } from '../feed/feed.sql.js';
import { JsonText } from '../realtime/json-text.js';
import type { Profile } from '../users/users.service.js';
import type { HistoryRow } from './message-row.mapper.js';

/**
 * read_status's payload as feed text, for reader $1 and other user $2
 * (ReadStatusPayload's fields and order), addressed to both users.
 */
const READ_STATUS_FEED_SOURCE = `
  SELECT u.user_id, u.ord::bigint AS ord, 'read_status'::text AS event,
    concat('{"userId":', $1::integer, ',"user2Id":', $2::integer, ',"readStatus":1}') AS data,
    NULL::integer AS message_id
  FROM (VALUES ($1::integer, 1), ($2::integer, 2)) AS u(user_id, ord)`;

/**
 * One page (or all) of the requester's visible history with the other user,
 * marking the page's unread messages addressed to the requester as read, in
 * one statement. $3 is the limit (NULL: the whole history), $4 the exclusive
 * upper id bound (beforeId), $5 to $8 the profile fields every row repeats.
 * Postgres writes the answer's JSON (get_data_message rows, contract "Rows",
 * in its field order): see JsonText for why. concat() builds each row in one
 * allocation (a chain of || copies the growing text at every step: 25% slower).
 * A row stored with a clientMessageId ends with it; other rows are exactly
 * the legacy ones.
 *
 * The conversation id and the page's oldest id are scalar subqueries, so
 * the planner sees `chat_constant_id = <one value>` and walks the
 * (chat_constant_id, id) index in id order: backwards to the page's start
 * (LIMIT rows of it), then forwards over the page, with no sort and nothing
 * materialized. Joining chat_constants instead made it read and sort the
 * whole conversation for every page.
 */
const HISTORY_SQL = `
WITH conversation AS (
  SELECT id FROM chat_constants
  WHERE user_low_id = LEAST($1::integer, $2::integer) AND user_high_id = GREATEST($1::integer, $2::integer)
),
page_start AS (
  SELECT CASE WHEN $3::integer IS NULL THEN 0 ELSE COALESCE((
    SELECT m.id FROM messages m
    WHERE m.chat_constant_id = (SELECT id FROM conversation) AND m.id < $4::bigint AND ${visibleToSql('m', '$1')}
    ORDER BY m.id DESC
    OFFSET $3::integer - 1 LIMIT 1), 0) END AS id
),
parties AS (
  SELECT concat(',"recieverName":', to_json($5::text), ',"image":', to_json(COALESCE($6::text, '')),
                ',"senderName":', to_json($7::text), ',"senderImage":', to_json(COALESCE($8::text, ''))) AS tail
),
marked AS (
  UPDATE messages m SET read_status = 1
  WHERE m.chat_constant_id = (SELECT id FROM conversation)
    AND m.id >= (SELECT id FROM page_start) AND m.id < $4::bigint AND ${visibleToSql('m', '$1')}
    AND m.receiver_id = $1 AND m.read_status = 0
  RETURNING m.id
),
-- Told to both users only when this request marked something (contract), in the same statement.
feed_source AS (${READ_STATUS_FEED_SOURCE} WHERE EXISTS (SELECT 1 FROM marked)
),${FEED_APPEND_CTES}
SELECT (SELECT count(*) FROM marked)::integer AS marked_read, ${FEED_POSITIONS_SQL} AS feed_positions,
  '[' || COALESCE(string_agg(concat(
    '{"id":', m.id, ',"senderId":', m.sender_id, ',"receiverId":', m.receiver_id,
    ',"chatConstantId":', m.chat_constant_id, ',"groupId":', m.group_id,
    ',"message":', to_json(m.message),
    ',"readStatus":', CASE WHEN m.id IN (SELECT id FROM marked) THEN 1 ELSE m.read_status END,
    ',"messageType":', m.message_type, ',"deletedId":', m.deleted_id,
    ',"created":', m.created, ',"updated":', m.updated, (SELECT tail FROM parties),
    CASE WHEN m.client_message_id IS NOT NULL THEN concat(',"clientMessageId":', to_json(m.client_message_id)) END,
    '}'),
    ',' ORDER BY m.id), '') || ']' AS rows_json
FROM messages m
WHERE m.chat_constant_id = (SELECT id FROM conversation)
  AND m.id >= (SELECT id FROM page_start) AND m.id < $4::bigint AND ${visibleToSql('m', '$1')}`;

/** Largest id + 1: "no beforeId". */
const NO_UPPER_BOUND = 2_147_483_647 + 1;

/**
 * The messages table's reads and read marks (the send statement is
 * SendBatcher's). Each method is one statement; those that tell users
 * something append to their feeds in the same statement.
 */
@Injectable()
export class MessagesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** get_message's page, marking it read; `feed` is empty unless something was marked. */
  async readPage(
    requesterId: number,
    otherId: number,
    limit: number | undefined,
    beforeId: number | undefined,
    parties: { requester: Profile; other: Profile },
  ): Promise<{ rows: JsonText<HistoryRow[]>; markedRead: number; feed: FeedPositions }> {
    const [result]: Array<{
      marked_read: number;
      feed_positions: string | null;
      rows_json: string;
    }> = await this.dataSource.query(HISTORY_SQL, [
      requesterId,
      otherId,
      limit ?? null,
      beforeId ?? NO_UPPER_BOUND,
      // get_data_message rows carry the request's two parties, the same on every row.
      parties.other.name,
      parties.other.image,
      parties.requester.name,
      parties.requester.image,
    ]);
    return {
      rows: new JsonText(result.rows_json),
      markedRead: Number(result.marked_read),
      feed: parseFeedPositions(result.feed_positions),
    };
  }

  /** read_unread: marks `senderId`'s messages to `readerId` read; read_status goes into both feeds. */
  async markRead(
    readerId: number,
    senderId: number,
  ): Promise<{ changed: number; feed: FeedPositions }> {
    // Counted in a SELECT: node-postgres and PGlite report an UPDATE's row count differently.
    const [result]: Array<{ count: number; feed_positions: string | null }> =
      await this.dataSource.query(
        `WITH changed AS (
           UPDATE messages SET read_status = 1
           WHERE receiver_id = $1 AND sender_id = $2 AND read_status = 0
           RETURNING 1),
         feed_source AS (${READ_STATUS_FEED_SOURCE} WHERE (SELECT count(*) FROM changed) >= 0
         ),${FEED_APPEND_CTES}
         SELECT (SELECT count(*) FROM changed)::integer AS count, ${FEED_POSITIONS_SQL} AS feed_positions`,
        [readerId, senderId],
      );
    return { changed: Number(result.count), feed: parseFeedPositions(result.feed_positions) };
  }

  /**
   * Erasure: every message of the user's conversations, both ways (a message
   * of a pair always has one of the two as sender and the other as receiver).
   */
  eraseUser(manager: EntityManager, userId: number): Promise<number> {
    return changedRows(manager, 'DELETE FROM messages WHERE sender_id = $1 OR receiver_id = $1', [
      userId,
    ]);
  }

  async countSent(manager: EntityManager, userId: number): Promise<Record<string, number>> {
    const [row]: Array<{ n: string | number }> = await manager.query(
      'SELECT count(*) AS n FROM messages WHERE sender_id = $1',
      [userId],
    );
    return { messagesSent: Number(row.n) };
  }
}
