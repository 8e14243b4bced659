import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UnavailableError } from '../errors/domain-errors.js';
import { ModerationService } from '../moderation/moderation.service.js';
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
  { stored: true; repeat: boolean; row: NewMessageRow } | { stored: false; refusal: string };

export interface HistoryResult {
  /** get_data_message's rows, encoded. */
  rows: JsonText<HistoryRow[]>;
  /** How many messages this request turned from unread to read. */
  markedRead: number;
}

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
    WHERE m.chat_constant_id = (SELECT id FROM conversation) AND m.id < $4::bigint AND m.deleted_id <> $1
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
    AND m.id >= (SELECT id FROM page_start) AND m.id < $4::bigint AND m.deleted_id <> $1
    AND m.receiver_id = $1 AND m.read_status = 0
  RETURNING m.id
)
SELECT (SELECT count(*) FROM marked)::integer AS marked_read,
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
  AND m.id >= (SELECT id FROM page_start) AND m.id < $4::bigint AND m.deleted_id <> $1`;

@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly moderation: ModerationService,
    private readonly batcher: SendBatcher,
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
    // A second attempt only when a block was lifted between the insert and the diagnosis.
    for (let attempt = 0; attempt < 2; attempt++) {
      const message = { senderId, receiverId, messageType, text, created: unixSeconds() };
      const outcome = await this.batcher.store(
        clientMessageId === undefined ? message : { ...message, clientMessageId },
      );
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
        return {
          stored: true,
          repeat: outcome.kind === 'repeat',
          row: toNewMessageRow(record, sender, receiver),
        };
      }
      await this.users.requireStoredProfiles(senderId, receiverId);
      const refusal = await this.moderation.blockRefusal(senderId, receiverId);
      if (refusal) return { stored: false, refusal };
    }
    throw new Error(`message from ${senderId} to ${receiverId} was neither stored nor refused`);
  }

  async history(
    requesterId: number,
    otherId: number,
    limit?: number,
    beforeId?: number,
  ): Promise<HistoryResult> {
    const [requester, other] = await this.users.requireProfiles(requesterId, otherId);
    const [result]: Array<{ marked_read: number; rows_json: string }> = await this.dataSource.query(
      HISTORY_SQL,
      [
        requesterId,
        otherId,
        limit ?? null,
        beforeId ?? 2_147_483_647 + 1,
        // get_data_message rows carry the request's two parties, the same on every row.
        other.name,
        other.image,
        requester.name,
        requester.image,
      ],
    );
    return { rows: new JsonText(result.rows_json), markedRead: Number(result.marked_read) };
  }

  /** Marks every unread message from `senderId` to `readerId` as read; returns how many changed. */
  async markRead(readerId: number, senderId: number): Promise<number> {
    await this.users.requireProfiles(readerId, senderId);
    // Counted in a SELECT: node-postgres and PGlite report an UPDATE's row count differently.
    const [{ count }]: Array<{ count: number }> = await this.dataSource.query(
      `WITH changed AS (
         UPDATE messages SET read_status = 1
         WHERE receiver_id = $1 AND sender_id = $2 AND read_status = 0
         RETURNING 1)
       SELECT count(*)::integer AS count FROM changed`,
      [readerId, senderId],
    );
    return Number(count);
  }
}
