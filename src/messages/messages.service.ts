import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEvents } from '../events/domain-events.js';
import { FeedPositions, parseFeedPositions } from '../feed/feed-positions.js';
import { FEED_APPEND_CTES, FEED_POSITIONS_SQL } from '../feed/feed.sql.js';
import './message-events.js';
import { UnavailableError } from '../errors/domain-errors.js';
import { visibleToSql } from '../conversations/clear-rule.sql.js';
import { blockRefusalMessage } from '../moderation/block-rule.sql.js';
import { UsersService } from '../users/users.service.js';
import type { MessageType } from './message.entity.js';
import { JsonText } from '../realtime/json-text.js';
import { HistoryRow, NewMessageRow, toNewMessageRow } from './message-row.mapper.js';
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

/**
 * read_status's payload as feed text, for reader $1 and other user $2
 * (ReadStatusPayload's fields and order), addressed to both users.
 */
const READ_STATUS_FEED_SOURCE = `
  SELECT u.user_id, u.ord::bigint AS ord, 'read_status'::text AS event,
    concat('{"userId":', $1::integer, ',"user2Id":', $2::integer, ',"readStatus":1}') AS data,
    NULL::integer AS message_id
  FROM (VALUES ($1::integer, 1), ($2::integer, 2)) AS u(user_id, ord)`;

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

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

@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly batcher: SendBatcher,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Stores the message (with concurrent sends, in one statement: see SendBatcher)
   * and returns the row once it is committed, or why it was refused.
   */
  async send(
    senderId: number,
    receiverId: number,
    messageType: MessageType,
    text: string,
    clientMessageId?: string,
  ): Promise<SendResult> {
    const message = { senderId, receiverId, messageType, text, created: unixSeconds() };
    const outcome = await this.batcher.store(
      clientMessageId === undefined ? message : { ...message, clientMessageId },
    );
    if (outcome.kind === 'stored' && outcome.feed) {
      // Postgres wrote the row with the profiles as they were at the commit (see NEW_MESSAGE_ROW_SQL).
      const row = JSON.parse(outcome.feed.rowJson) as NewMessageRow;
      const feed = new Map([
        [senderId, outcome.feed.senderPos],
        [receiverId, outcome.feed.receiverPos],
      ]);
      this.events.publish('message.stored', { row, feed });
      return { stored: true, repeat: false, row, feed };
    }
    if (outcome.kind !== 'refused') {
      const { record } = outcome;
      // Read after the commit, so a profile changed meanwhile shows in this answer.
      const [sender, receiver] = await this.users
        .requireProfiles(record.senderId, record.receiverId)
        .catch((error: unknown) => {
          // Stored: the generic "not carried out, please retry" would be a lie.
          throw new UnavailableError(
            `the message was stored (id ${record.id}), but the server could not complete its answer ` +
              `(${error instanceof Error ? error.message : String(error)}); get_message shows it`,
          );
        });
      const row = toNewMessageRow(record, sender, receiver);
      if (outcome.kind === 'repeat') return { stored: true, repeat: true, row, feed: new Map() };
      // Stored before the feed existed, found again by a retry: delivered live only.
      this.events.publish('message.stored', { row, feed: new Map() });
      return { stored: true, repeat: false, row, feed: new Map() };
    }
    if (outcome.refusal === 'unknown_sender' || outcome.refusal === 'unknown_receiver') {
      // The cache may still hold a user the statement found missing: the database decides.
      await this.users.requireStoredProfiles(senderId, receiverId);
      // Created between the statement and this read: nothing was stored, so a resend is safe.
      throw new UnavailableError(
        'the message was not stored (a user was just created); please send it again',
      );
    }
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
    const [result]: Array<{
      marked_read: number;
      feed_positions: string | null;
      rows_json: string;
    }> = await this.dataSource.query(HISTORY_SQL, [
      requesterId,
      otherId,
      limit ?? null,
      beforeId ?? 2_147_483_647 + 1,
      // get_data_message rows carry the request's two parties, the same on every row.
      other.name,
      other.image,
      requester.name,
      requester.image,
    ]);
    const markedRead = Number(result.marked_read);
    if (markedRead > 0) {
      this.events.publish('messages.read', {
        readerId: requesterId,
        otherId,
        feed: parseFeedPositions(result.feed_positions),
      });
    }
    return { rows: new JsonText(result.rows_json), markedRead };
  }

  /**
   * Marks every unread message from `senderId` to `readerId` as read and tells
   * both users (read_unread does even when nothing changed, as the legacy server did).
   */
  async markRead(readerId: number, senderId: number): Promise<MarkReadResult> {
    await this.users.requireProfiles(readerId, senderId);
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
    const feed = parseFeedPositions(result.feed_positions);
    this.events.publish('messages.read', { readerId, otherId: senderId, feed });
    return { changed: Number(result.count), feed };
  }
}
