import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { isEmbedded } from '../database/data-source-options.js';
import type { MessageType } from './message.entity.js';

/** A message to store, as the sender sent it. */
export interface OutgoingMessage {
  senderId: number;
  receiverId: number;
  messageType: MessageType;
  text: string;
  /** Unix seconds: the message's `created` and `updated`. */
  created: number;
}

/** Where a stored message went. */
export interface StoredMessage {
  id: number;
  conversationId: number;
}

/** Most messages in one statement: bounds its parameter size and the time it holds row locks. */
export const MAX_BATCH_SIZE = 500;
/**
 * Statements in flight at once on Postgres; the embedded database runs one
 * statement at a time anyway. Batches in flight never share a conversation.
 */
export const MAX_BATCHES_IN_FLIGHT = 2;
/**
 * A second batch starts only once the one in flight has run this long (a lock
 * wait, a slow disk): one statement at a time makes bigger batches, which cost
 * Node and Postgres less per message than several small ones, and a statement
 * normally takes a few milliseconds.
 */
export const OVERLAP_AFTER_MS = 50;

/**
 * Stores a batch of messages in one statement (one round trip, one commit),
 * with the same rules per message as a lone send: a message is stored only if
 * both users exist and neither blocks the other; each stored message upserts
 * its pair's conversation (last message id, updated, visible again to a user
 * who cleared it). ON CONFLICT may touch a row once per statement, so the
 * conversations are upserted once per pair, from the pair's newest message, in
 * (low, high) order: one lock order for every batch.
 *
 * Ids follow the batch order: the drawn ids are sorted and handed out by
 * position, whatever order nextval() ran in. The result has one row per
 * stored message; a message without one was refused.
 */
const STORE_BATCH_SQL = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS t(
    ord integer, sender_id integer, receiver_id integer, message text, message_type smallint, created bigint)
),
accepted AS MATERIALIZED (
  SELECT i.*, LEAST(i.sender_id, i.receiver_id) AS low_id, GREATEST(i.sender_id, i.receiver_id) AS high_id
  FROM input i
  WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = i.sender_id)
    AND EXISTS (SELECT 1 FROM users u WHERE u.id = i.receiver_id)
    AND NOT EXISTS (
      SELECT 1 FROM blocks b
      WHERE (b.blocker_id = i.sender_id AND b.blocked_id = i.receiver_id)
         OR (b.blocker_id = i.receiver_id AND b.blocked_id = i.sender_id))
),
drawn AS MATERIALIZED (
  SELECT nextval('messages_id_seq')::integer AS id FROM accepted
),
numbered AS MATERIALIZED (
  SELECT a.*, d.id
  FROM (SELECT accepted.*, row_number() OVER (ORDER BY ord) AS position FROM accepted) a
  JOIN (SELECT id, row_number() OVER (ORDER BY id) AS position FROM drawn) d USING (position)
),
conversation AS (
  INSERT INTO chat_constants (sender_id, receiver_id, user_low_id, user_high_id, last_message_id, created, updated)
  SELECT DISTINCT ON (low_id, high_id) sender_id, receiver_id, low_id, high_id,
    max(id) OVER pair, created, max(created) OVER pair
  FROM numbered
  WINDOW pair AS (PARTITION BY low_id, high_id)
  ORDER BY low_id, high_id, ord
  ON CONFLICT (user_low_id, user_high_id) DO UPDATE SET
    last_message_id = GREATEST(chat_constants.last_message_id, EXCLUDED.last_message_id),
    updated = GREATEST(chat_constants.updated, EXCLUDED.updated),
    cleared_by_low = false,
    cleared_by_high = false
  RETURNING id, user_low_id, user_high_id
),
inserted AS (
  INSERT INTO messages (id, chat_constant_id, sender_id, receiver_id, message, message_type, created, updated)
  SELECT n.id, c.id, n.sender_id, n.receiver_id, n.message, n.message_type, n.created, n.created
  FROM numbered n
  JOIN conversation c ON c.user_low_id = n.low_id AND c.user_high_id = n.high_id
  ORDER BY n.id
  RETURNING id, chat_constant_id
)
SELECT n.ord, i.id, i.chat_constant_id FROM inserted i JOIN numbered n ON n.id = i.id`;

interface StoredRow {
  ord: number;
  id: number;
  chat_constant_id: number;
}

interface PendingSend {
  message: OutgoingMessage;
  pair: string;
  resolve(stored: StoredMessage | null): void;
  reject(error: unknown): void;
}

/**
 * Group commit for send_message: concurrent sends share one statement. The
 * first send when nothing is in flight starts a batch at once (no added latency
 * at low load); while batches are in flight, sends accumulate for the next one.
 * Each caller learns its message's fate only after its statement committed.
 *
 * A message whose conversation is in a batch in flight waits for the next
 * batch: a conversation's messages are then stored, numbered and answered in
 * the order they arrived even across batches, and concurrent batches never
 * wait for each other's row locks (nor deadlock on them).
 */
@Injectable()
export class SendBatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SendBatcher.name);
  private readonly embedded: boolean;
  private readonly maxInFlight: number;
  private queue: PendingSend[] = [];
  private inFlight = 0;
  /** Conversations (see pairKey) with a message in a batch in flight. */
  private readonly busyPairs = new Set<string>();
  private flushScheduled = false;
  /** performance.now() when the newest batch in flight started. */
  private lastStart = 0;
  private overlapTimer: NodeJS.Timeout | undefined;
  private idle: Array<() => void> = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.embedded = isEmbedded(config);
    this.maxInFlight = this.embedded ? 1 : MAX_BATCHES_IN_FLIGHT;
  }

  /** Stores the message with the next batch: where it went, or null when refused (user missing or blocked). */
  store(message: OutgoingMessage): Promise<StoredMessage | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, pair: pairKey(message), resolve, reject });
      this.schedule();
    });
  }

  /** Lets queued and in-flight sends finish before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.flushScheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) {
      return;
    }
    this.flushScheduled = true;
    // Sends that arrive in the same turn of the event loop join this batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      if (this.inFlight > 0) {
        const wait = this.lastStart + OVERLAP_AFTER_MS - performance.now();
        if (wait > 0) return this.flushAfter(wait);
      }
      const batch = this.takeBatch();
      if (batch.length === 0) return; // every queued conversation is in flight: next time
      const pairs = new Set(batch.map((pending) => pending.pair));
      for (const pair of pairs) this.busyPairs.add(pair);
      this.inFlight++;
      this.lastStart = performance.now();
      void this.run(batch).finally(() => {
        for (const pair of pairs) this.busyPairs.delete(pair);
        this.inFlight--;
        if (this.inFlight === 0 && this.queue.length === 0) {
          for (const resolve of this.idle.splice(0)) resolve();
        }
        this.schedule();
      });
    }
  }

  private flushAfter(ms: number): void {
    if (this.overlapTimer) return;
    this.overlapTimer = setTimeout(() => {
      this.overlapTimer = undefined;
      this.flush();
    }, ms);
    this.overlapTimer.unref();
  }

  /** The oldest queued sends whose conversations are not in flight, up to MAX_BATCH_SIZE. */
  private takeBatch(): PendingSend[] {
    if (this.busyPairs.size === 0 && this.queue.length <= MAX_BATCH_SIZE) {
      const batch = this.queue;
      this.queue = [];
      return batch;
    }
    const batch: PendingSend[] = [];
    const rest: PendingSend[] = [];
    for (const pending of this.queue) {
      if (batch.length < MAX_BATCH_SIZE && !this.busyPairs.has(pending.pair)) batch.push(pending);
      else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: PendingSend[]): Promise<void> {
    let results: Array<StoredMessage | null>;
    try {
      results = await this.storeBatch(batch.map((pending) => pending.message));
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // Do not fail innocent messages with a bad one: store them one by one.
      this.logger.warn(
        `a batch of ${batch.length} messages failed (${String(error)}); storing them one by one`,
      );
      for (const pending of batch) {
        try {
          pending.resolve((await this.storeBatch([pending.message]))[0]);
        } catch (single) {
          pending.reject(single);
        }
      }
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
  }

  /** Stores the messages in one statement: for each, where it went or null when refused. */
  private async storeBatch(messages: OutgoingMessage[]): Promise<Array<StoredMessage | null>> {
    const input = JSON.stringify(
      messages.map((m, ord) => ({
        ord,
        sender_id: m.senderId,
        receiver_id: m.receiverId,
        message: m.text,
        message_type: m.messageType,
        created: m.created,
      })),
    );
    const rows = await this.execute(input);
    const results = new Array<StoredMessage | null>(messages.length).fill(null);
    for (const row of rows) {
      results[row.ord] = { id: Number(row.id), conversationId: Number(row.chat_constant_id) };
    }
    return results;
  }

  /**
   * On Postgres a named statement, straight on TypeORM's pool: each connection
   * parses and plans it once, which halves the database's CPU per batch. PGlite
   * has no named statements.
   */
  private async execute(input: string): Promise<StoredRow[]> {
    if (this.embedded) return this.dataSource.query(STORE_BATCH_SQL, [input]);
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const result = await pool.query<StoredRow>({
      name: 'store_message_batch',
      text: STORE_BATCH_SQL,
      values: [input],
    });
    return result.rows;
  }
}

/** The conversation of a message: its unordered pair of users. */
function pairKey({ senderId, receiverId }: OutgoingMessage): string {
  return senderId < receiverId ? `${senderId}:${receiverId}` : `${receiverId}:${senderId}`;
}
