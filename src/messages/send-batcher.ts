import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { type BanRefusal, userBannedSql } from '../bans/ban-rule.sql.js';
import { AppConfig, isEmbedded } from '../config/app-config.js';
import { REOPEN_CONVERSATION_SQL } from '../conversations/clear-rule.sql.js';
import { FEED_APPEND_CTES } from '../feed/feed.sql.js';
import { UnavailableError } from '../errors/domain-errors.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { BlockRefusal, blockRefusalSql } from '../moderation/block-rule.sql.js';
import { PUSH_QUEUE_CTE } from '../push/push-queue.sql.js';
import { PushPlanner } from '../push/push-planner.js';
import { OutboundBatching } from '../realtime/outbound-batching.js';
import type { MessageType } from './message.entity.js';
import { newMessageRowSql } from './message-row.mapper.js';

/** A message to store, as the sender sent it. */
export interface OutgoingMessage {
  senderId: number;
  receiverId: number;
  messageType: MessageType;
  text: string;
  /** Unix seconds: the message's `created` and `updated`. */
  created: number;
  /** The sender's optional idempotency key (send_message `clientMessageId`). */
  clientMessageId?: string;
}

/** A stored message, as its row holds it now. */
export interface MessageRecord {
  id: number;
  conversationId: number;
  senderId: number;
  receiverId: number;
  text: string;
  messageType: number;
  readStatus: number;
  deletedId: number;
  created: number;
  updated: number;
  clientMessageId: string | null;
}

/**
 * What became of a message: `stored` by this send (deliver it), a `repeat` of
 * a message the sender stored earlier with the same clientMessageId (answer
 * the caller only: everyone else had it), or `refused` (a user is missing or a
 * block stands; the caller finds out which).
 */
export type StoreOutcome =
  | { kind: 'stored'; record: MessageRecord; rowJson: string; feed: StoredFeed | null }
  | { kind: 'repeat'; record: MessageRecord; rowJson: string }
  | { kind: 'refused'; refusal: SendRefusal };

/** Why the statement did not store a message: a user is missing, the sender is banned, or the block rule. */
export type SendRefusal = 'unknown_sender' | 'unknown_receiver' | BanRefusal | BlockRefusal;

/**
 * Where a stored message went in the two feeds. Null for a message stored
 * before the feed existed, found again by a retry.
 */
export interface StoredFeed {
  senderPos: number;
  receiverPos: number;
}

/** Known not stored: the database could not be reached in time. */
export class SendNotStoredError extends UnavailableError {
  constructor() {
    super('the message was not stored: the database did not answer in time; please send it again');
  }
}

/** The database may or may not have stored it: a later attempt could not find out in time. */
export class SendOutcomeUnknownError extends UnavailableError {
  constructor() {
    super(
      'the server could not confirm whether the message was stored (the database stopped answering); ' +
        'send it again with the same clientMessageId, or check get_message first',
    );
  }
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
/** Waits between attempts at a batch whose statement failed: doubling from the first, up to the last. */
const RETRY_BACKOFF_MS = [100, 200, 400, 800, 1000];
/** On shutdown, pending retries give up after this share of SHUTDOWN_TIMEOUT_MS. */
const SHUTDOWN_RETRY_SHARE = 0.4;

/**
 * Stores a batch of messages in one statement (one round trip, one commit),
 * with the same rules per message as a lone send: a message is stored only if
 * both users exist and neither blocks the other; each stored message upserts
 * its pair's conversation (last message id, text, type and time, updated,
 * visible again to a user who cleared it).
 *
 * Every message carries a key drawn when it was accepted (`message_key`), and
 * maybe the sender's `client_message_id`; both are unique, and the insert does
 * nothing on a conflict. So the statement may run again after an unknown
 * outcome (a lost answer, a timeout): a message an earlier run stored is not
 * stored twice, and the final SELECT returns the row that holds it instead.
 *
 * The messages go in first and the conversations are upserted from the rows
 * actually inserted, so a conflict never moves a conversation's last message
 * id to a message that does not exist. A new pair's conversation id is drawn
 * beforehand; if another statement creates that pair meanwhile, the messages'
 * foreign key fails this statement and the retry finds the pair. ON CONFLICT
 * may touch a row once per statement, so the conversations are upserted once
 * per pair, from the pair's newest message, in (low, high) order: one lock
 * order for every batch.
 *
 * Ids follow the batch order: the drawn ids are sorted and handed out by
 * position, whatever order nextval() ran in (so a pair's first message is
 * also its smallest id). The result has one row per message: `id` (and its
 * key) when this statement stored it; else, by `ord`, `existing`, the row
 * that holds its key, when one is visible; else `accepted` tells a refusal
 * (false) from a conflict with a statement that committed after this one
 * began. Stored rows are matched by key, not joined back to their input: a
 * join of two CTEs is a nested loop (500 x 500 comparisons) for the planner,
 * which cannot know their sizes. For the same reason ids and conversation ids
 * are handed out through an array and a jsonb object (an index and a binary
 * search per message) rather than joins (which cost 500 x 500 comparisons,
 * 100 ms of a 500-message batch, before).
 */
export const STORE_BATCH_SQL = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS t(
    ord integer, message_key uuid, client_message_id text, sender_id integer, receiver_id integer,
    message text, message_type smallint, created bigint)
),
judged AS MATERIALIZED (
  SELECT i.*, CASE
      -- Scalar sub-selects: an index probe per message. As NOT EXISTS, Postgres hashed the whole
      -- users table on every run of the statement (a seq scan of 20,000 users twice per batch).
      WHEN (SELECT true FROM users u WHERE u.id = i.sender_id) IS NULL THEN 'unknown_sender'
      WHEN (SELECT true FROM users u WHERE u.id = i.receiver_id) IS NULL THEN 'unknown_receiver'
      WHEN ${userBannedSql('i.sender_id')} THEN 'banned'
      ELSE ${blockRefusalSql('i.sender_id', 'i.receiver_id')}
    END AS refusal
  FROM input i
),
accepted AS MATERIALIZED (
  SELECT j.*, LEAST(j.sender_id, j.receiver_id) AS low_id, GREATEST(j.sender_id, j.receiver_id) AS high_id
  FROM judged j
  WHERE j.refusal IS NULL
),
pairs AS MATERIALIZED (
  SELECT p.low_id, p.high_id, COALESCE(c.id, nextval('chat_constants_id_seq')::integer) AS conversation_id
  FROM (SELECT DISTINCT low_id, high_id FROM accepted) p
  LEFT JOIN chat_constants c ON c.user_low_id = p.low_id AND c.user_high_id = p.high_id
),
drawn AS MATERIALIZED (
  SELECT array_agg(id ORDER BY id) AS ids
  FROM (SELECT nextval('messages_id_seq')::integer AS id FROM accepted) d
),
conversation_ids AS MATERIALIZED (
  SELECT jsonb_object_agg(low_id || ':' || high_id, conversation_id) AS by_pair FROM pairs
),
numbered AS MATERIALIZED (
  SELECT a.*, (SELECT ids FROM drawn)[a.position] AS id,
    ((SELECT by_pair FROM conversation_ids) ->> (a.low_id || ':' || a.high_id))::integer AS conversation_id
  FROM (SELECT accepted.*, row_number() OVER (ORDER BY ord) AS position FROM accepted) a
),
inserted AS (
  INSERT INTO messages (id, chat_constant_id, sender_id, receiver_id, message, message_type, created, updated,
    message_key, client_message_id)
  SELECT id, conversation_id, sender_id, receiver_id, message, message_type, created, created,
    message_key, client_message_id
  FROM numbered
  ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING id, chat_constant_id, sender_id, receiver_id, created, updated, message_key, message, message_type,
    client_message_id, read_status, deleted_id
),
conversation AS (
  INSERT INTO chat_constants (id, sender_id, receiver_id, user_low_id, user_high_id, last_message_id,
    last_message, last_message_type, last_message_created, created, updated)
  SELECT DISTINCT ON (low_id, high_id) chat_constant_id, sender_id, receiver_id, low_id, high_id,
    max(id) OVER pair, last_value(message) OVER pair, last_value(message_type) OVER pair,
    last_value(created) OVER pair, created, max(created) OVER pair
  FROM (SELECT inserted.*, LEAST(sender_id, receiver_id) AS low_id, GREATEST(sender_id, receiver_id) AS high_id
        FROM inserted) s
  -- The whole pair in id order: last_value() is the pair's newest message (one sort, shared with DISTINCT ON).
  WINDOW pair AS (PARTITION BY low_id, high_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ORDER BY low_id, high_id, id
  ON CONFLICT (user_low_id, user_high_id) DO UPDATE SET
    last_message_id = GREATEST(chat_constants.last_message_id, EXCLUDED.last_message_id),
    -- The copy of the last message follows last_message_id, only forward (NULL: none kept yet).
    last_message = CASE WHEN chat_constants.last_message_id IS NULL
      OR chat_constants.last_message_id < EXCLUDED.last_message_id
      THEN EXCLUDED.last_message ELSE chat_constants.last_message END,
    last_message_type = CASE WHEN chat_constants.last_message_id IS NULL
      OR chat_constants.last_message_id < EXCLUDED.last_message_id
      THEN EXCLUDED.last_message_type ELSE chat_constants.last_message_type END,
    last_message_created = CASE WHEN chat_constants.last_message_id IS NULL
      OR chat_constants.last_message_id < EXCLUDED.last_message_id
      THEN EXCLUDED.last_message_created ELSE chat_constants.last_message_created END,
    updated = GREATEST(chat_constants.updated, EXCLUDED.updated),
    ${REOPEN_CONVERSATION_SQL}
  RETURNING id
),
rendered AS MATERIALIZED (
  SELECT s.id, s.chat_constant_id, s.message_key, s.sender_id, s.receiver_id,
    ${newMessageRowSql('s', 'su', 'ru')} AS row_json
  FROM inserted s
  JOIN users su ON su.id = s.sender_id
  JOIN users ru ON ru.id = s.receiver_id
  -- Reading conversation first makes its upserts (row locks) come before the feed heads' locks:
  -- the lock order of ConversationsService.clear, so the two never deadlock.
  WHERE (SELECT count(*) FROM conversation) >= 0
),
feed_source AS (
  SELECT sender_id AS user_id, id::bigint AS ord, 'new_message'::text AS event, row_json AS data, id AS message_id
  FROM rendered
  UNION ALL
  SELECT receiver_id, id, 'new_message', row_json, id FROM rendered
),${FEED_APPEND_CTES},${PUSH_QUEUE_CTE}
SELECT NULL::integer AS ord, message_key, id, chat_constant_id, NULL::text AS refusal, NULL::json AS existing,
  row_json, NULL::integer AS feed_user, NULL::bigint AS feed_pos
FROM rendered
UNION ALL
SELECT i.ord, i.message_key, NULL, NULL, (SELECT j.refusal FROM judged j WHERE j.ord = i.ord),
  (${existingRowSql('i')}), NULL, NULL, NULL
FROM input i
WHERE NOT EXISTS (SELECT 1 FROM inserted s WHERE s.message_key = i.message_key)
UNION ALL
SELECT NULL, NULL, message_id, NULL, NULL, NULL, NULL, user_id, pos FROM feed_appended`;

/** The stored row (as JSON) holding the key of input row `alias`, or NULL. */
function existingRowSql(alias: string): string {
  return `SELECT json_build_object('id', m.id, 'chat_constant_id', m.chat_constant_id,
      'sender_id', m.sender_id, 'receiver_id', m.receiver_id, 'message', m.message,
      'message_type', m.message_type, 'read_status', m.read_status, 'deleted_id', m.deleted_id,
      'created', m.created, 'updated', m.updated, 'message_key', m.message_key,
      'client_message_id', m.client_message_id,
      'row_json', (SELECT ${newMessageRowSql('m', 'su', 'ru')} FROM users su, users ru
                   WHERE su.id = m.sender_id AND ru.id = m.receiver_id),
      -- Its own earlier run (a lost answer, moments ago): the feed entries it wrote, near the heads.
      'sender_feed', CASE WHEN m.message_key = ${alias}.message_key THEN (
        SELECT json_build_object('pos', f.pos, 'data', f.data) FROM feed_events f
        WHERE f.user_id = m.sender_id AND f.message_id = m.id ORDER BY f.pos DESC LIMIT 1) END,
      'receiver_pos', CASE WHEN m.message_key = ${alias}.message_key THEN (
        SELECT f.pos FROM feed_events f
        WHERE f.user_id = m.receiver_id AND f.message_id = m.id ORDER BY f.pos DESC LIMIT 1) END)
    FROM messages m
    WHERE m.message_key = ${alias}.message_key
       OR (m.sender_id = ${alias}.sender_id AND m.client_message_id = ${alias}.client_message_id)
    LIMIT 1`;
}

/**
 * Finds the rows holding the keys of messages whose insert met a conflict
 * with a statement that committed after the batch statement began (so that
 * statement could not see the row): a new statement sees it.
 */
const FIND_STORED_SQL = `
SELECT i.ord, (${existingRowSql('i')}) AS existing
FROM json_to_recordset($1::json) AS i(ord integer, message_key uuid, client_message_id text, sender_id integer)`;

interface ResultRow {
  ord: number | null;
  /** Null on feed rows. */
  message_key: string | null;
  /** The stored message's id (on feed rows, the message the entry is about). */
  id: number | null;
  chat_constant_id: number | null;
  /** Why a message was not stored (null: accepted, but its key met a row committed meanwhile). */
  refusal: SendRefusal | null;
  existing: ExistingRow | null;
  row_json: string | null;
  /** Feed rows: whose feed, at which position. */
  feed_user: number | null;
  feed_pos: number | string | null;
}

interface ExistingRow {
  id: number;
  chat_constant_id: number;
  sender_id: number;
  receiver_id: number;
  message: string;
  message_type: number;
  read_status: number;
  deleted_id: number;
  created: number | string;
  updated: number | string;
  message_key: string | null;
  client_message_id: string | null;
  /** new_message's row, with the users' profiles as they are now. */
  row_json: string;
  sender_feed: { pos: number | string; data: string } | null;
  receiver_pos: number | string | null;
}

interface PendingSend {
  message: OutgoingMessage;
  /** Drawn when the message was accepted; the same in every attempt to store it. */
  key: string;
  /** performance.now() when it was accepted. */
  acceptedAt: number;
  pair: string;
  /** Its sender (see senderKey). */
  sender: string;
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

/** How a failed attempt at a batch statement failed. */
type Failure =
  /** The statement never reached the database (no connection): nothing stored. */
  | 'not-sent'
  /** The database refused the statement for its content: nothing stored, and a retry fails the same way. */
  | 'rejected'
  /** Anything else (connection lost, timeout, shutdown, deadlock): it may have committed. */
  | 'unknown';

/**
 * Group commit for send_message: concurrent sends share one statement. The
 * first send when nothing is in flight starts a batch at once (no added latency
 * at low load); while batches are in flight, sends accumulate for the next one.
 * Each caller learns its message's fate only after its statement committed.
 *
 * A message whose conversation or sender is in a batch in flight waits for
 * the next batch: a conversation's and a sender's messages are then stored,
 * numbered and answered in the order they arrived even across batches (a
 * socket may have many sends queued: SocketTurns), and concurrent batches
 * never share a conversation row.
 *
 * Faults (issue 10): a batch statement may be in flight SEND_BATCH_TIMEOUT_MS
 * at most; then its connection is destroyed. A batch whose statement failed
 * for any reason but its content runs again, with the same keys, until the
 * database answers or SEND_TIMEOUT_MS has passed since its oldest message was
 * accepted: each message is then answered with its row, or with a refusal
 * that says what is known (not stored, or not known). A send still queued
 * after SEND_TIMEOUT_MS never reached the database and is refused as not
 * stored. A batch the database refuses for its content (it cannot store one
 * of its messages) is split, and each message stored alone.
 */
@Injectable()
export class SendBatcher implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(SendBatcher.name);
  private readonly embedded: boolean;
  private readonly maxInFlight: number;
  private readonly batchTimeoutMs: number;
  /** Not readonly: specs shorten it. */
  private sendTimeoutMs: number;
  private queue: PendingSend[] = [];
  /** Batches being stored, retried or split, with their conversations and senders. */
  private readonly running = new Map<PendingSend[], Set<string>>();
  /** Conversations (pairKey) and senders (senderKey) with a message in a batch in flight. */
  private readonly busy = new Set<string>();
  private flushScheduled = false;
  /** performance.now() when the newest batch in flight started. */
  private lastStart = 0;
  private overlapTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Set on shutdown: retries stop by then (performance.now()). */
  private retryUntil = Infinity;
  private idle: Array<() => void> = [];
  /** Batches stored and released whose sends are not answered yet. */
  private answering = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly metrics: ChatMetrics,
    private readonly push: PushPlanner,
    private readonly outbound: OutboundBatching,
  ) {
    this.embedded = isEmbedded(config);
    this.maxInFlight = this.embedded ? 1 : MAX_BATCHES_IN_FLIGHT;
    this.batchTimeoutMs = config.sendBatchTimeoutMs;
    this.sendTimeoutMs = config.sendTimeoutMs;
  }

  /** Stores the message with the next batch (see StoreOutcome). */
  store(message: OutgoingMessage): Promise<StoreOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        message,
        key: messageKey(),
        acceptedAt: performance.now(),
        pair: pairKey(message),
        sender: senderKey(message),
        resolve,
        reject,
      });
      this.schedule();
    });
  }

  /** How long the oldest send not yet answered has waited, in ms (0 when none). */
  oldestWaitingMs(): number {
    let oldest = this.queue.length > 0 ? this.queue[0].acceptedAt : Infinity;
    for (const batch of this.running.keys()) oldest = Math.min(oldest, batch[0].acceptedAt);
    return oldest === Infinity ? 0 : performance.now() - oldest;
  }

  /** Shutdown: retries after a fault stop soon, so that draining ends in time. */
  onModuleDestroy(): void {
    this.retryUntil = performance.now() + this.config.shutdownTimeoutMs * SHUTDOWN_RETRY_SHARE;
  }

  /** Lets queued and in-flight sends finish before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.running.size === 0 && this.queue.length === 0 && this.answering === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.queue.length > 0 && !this.sweepTimer) {
      this.sweepTimer = setInterval(() => this.sweep(), 1000);
      this.sweepTimer.unref();
    }
    if (this.flushScheduled || this.running.size >= this.maxInFlight || this.queue.length === 0) {
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
    while (this.running.size < this.maxInFlight && this.queue.length > 0) {
      if (this.running.size > 0) {
        const wait = this.lastStart + OVERLAP_AFTER_MS - performance.now();
        if (wait > 0) return this.flushAfter(wait);
      }
      const batch = this.takeBatch();
      if (batch.length === 0) return; // every queued conversation is in flight: next time
      const keys = new Set<string>();
      for (const pending of batch) keys.add(pending.pair).add(pending.sender);
      for (const key of keys) this.busy.add(key);
      this.running.set(batch, keys);
      this.lastStart = performance.now();
      void this.run(batch)
        .catch((error: unknown) => {
          // run() settles every send itself; this is a last resort against a bug.
          this.logger.error(`a batch failed unexpectedly: ${String(error)}`);
          for (const pending of batch) pending.reject(error);
        })
        .finally(() => this.release(batch));
    }
  }

  /**
   * Frees a batch's conversations and its place in flight, and starts the
   * next batch. A stored batch is released before its sends are answered, so
   * the database stores the next batch while this node delivers this one
   * (Node and Postgres work side by side instead of taking turns). A
   * conversation's order holds: this batch's sends are answered in the check
   * phase of this turn of the event loop, and the next batch's answer can be
   * read from its socket in a later turn only.
   */
  private release(batch: PendingSend[]): void {
    const keys = this.running.get(batch);
    if (!keys) return; // released already, or a lone message of a split batch
    for (const key of keys) this.busy.delete(key);
    this.running.delete(batch);
    this.settleIdle();
    if (this.queue.length > 0 && !this.flushScheduled) this.flush();
    this.schedule();
  }

  private flushAfter(ms: number): void {
    if (this.overlapTimer) return;
    this.overlapTimer = setTimeout(() => {
      this.overlapTimer = undefined;
      this.flush();
    }, ms);
    this.overlapTimer.unref();
  }

  /** Refuses queued sends that never reached the database within SEND_TIMEOUT_MS. */
  private sweep(): void {
    const deadline = performance.now() - this.sendTimeoutMs;
    if (this.queue.length > 0 && this.queue[0].acceptedAt <= deadline) {
      const expired = this.queue.filter((pending) => pending.acceptedAt <= deadline);
      this.queue = this.queue.filter((pending) => pending.acceptedAt > deadline);
      this.logger.warn(`${expired.length} queued sends waited ${this.sendTimeoutMs} ms: refused`);
      for (const pending of expired) pending.reject(new SendNotStoredError());
    }
    if (this.queue.length === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
      this.settleIdle();
    }
  }

  private settleIdle(): void {
    if (this.running.size === 0 && this.queue.length === 0 && this.answering === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /**
   * The oldest queued sends, up to MAX_BATCH_SIZE, whose conversation and
   * sender have nothing in flight nor an earlier send left waiting: each
   * conversation's and each sender's messages are stored and answered in the
   * order they arrived.
   */
  private takeBatch(): PendingSend[] {
    if (this.busy.size === 0 && this.queue.length <= MAX_BATCH_SIZE) {
      const batch = this.queue;
      this.queue = [];
      return batch;
    }
    const batch: PendingSend[] = [];
    const rest: PendingSend[] = [];
    // The conversations and senders of sends left waiting: what follows them waits too.
    const held = new Set<string>();
    for (const pending of this.queue) {
      const { pair, sender } = pending;
      if (
        batch.length < MAX_BATCH_SIZE &&
        !this.busy.has(pair) &&
        !this.busy.has(sender) &&
        !held.has(pair) &&
        !held.has(sender)
      ) {
        batch.push(pending);
      } else {
        rest.push(pending);
        held.add(pair).add(sender);
      }
    }
    this.queue = rest;
    return batch;
  }

  /**
   * Stores the batch, running its statement again after a failure that may be
   * transient, and settles every send of it.
   */
  private async run(batch: PendingSend[]): Promise<void> {
    const deadline = Math.min(batch[0].acceptedAt + this.sendTimeoutMs, this.retryUntil);
    let pending = batch;
    let mayHaveRun = false;
    for (let attempt = 0; ; attempt++) {
      let failure: Failure;
      let error: unknown;
      try {
        const answers: Array<() => void> = [];
        pending = await this.attempt(pending, answers);
        if (pending.length === 0) {
          // The next batch's statement goes out (pg-pool hands over a connection on the next
          // tick) before this batch's answers start their delivery work.
          this.answering++;
          this.release(batch);
          await new Promise((resolve) => setImmediate(resolve));
          // The deliveries these answers start are written socket by socket once they are all done.
          this.outbound.holdWrites();
          for (const answer of answers) answer();
          this.answering--;
          this.settleIdle();
          return;
        }
        for (const answer of answers) answer();
        // A conflict whose row a second look did not find either (it was deleted meanwhile?): again, later.
        error = new Error(`${pending.length} messages were neither stored nor found`);
        failure = 'unknown';
      } catch (caught) {
        error = caught;
        failure = classify(caught);
      }
      if (failure === 'rejected') {
        if (pending.length === 1) {
          pending[0].reject(error);
          return;
        }
        // Do not fail innocent messages with a bad one: store them one by one.
        this.logger.warn(
          `a batch of ${pending.length} messages failed (${String(error)}); storing them one by one`,
        );
        for (const single of pending) await this.run([single]);
        return;
      }
      this.metrics.errors.inc({ source: 'database' });
      mayHaveRun ||= failure === 'unknown';
      const wait = RETRY_BACKOFF_MS[Math.min(attempt, RETRY_BACKOFF_MS.length - 1)];
      if (performance.now() + wait >= Math.min(deadline, this.retryUntil)) {
        this.logger.warn(
          `a batch of ${pending.length} messages failed (${String(error)}) until its deadline: ` +
            (mayHaveRun ? 'outcome unknown' : 'not stored'),
        );
        for (const unsettled of pending) {
          unsettled.reject(mayHaveRun ? new SendOutcomeUnknownError() : new SendNotStoredError());
        }
        return;
      }
      if (attempt === 0) {
        this.logger.warn(
          `a batch of ${pending.length} messages failed (${String(error)}); retrying until it is answered`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * One run of the batch statement: settles the sends it decided and returns
   * those it could not (a conflict with a statement that committed meanwhile,
   * whose row a second look finds).
   */
  private async attempt(batch: PendingSend[], answers: Array<() => void>): Promise<PendingSend[]> {
    // Two sends of one clientMessageId in one batch: the first goes to the database, the second repeats it.
    const repeats = new Map<PendingSend, PendingSend>();
    const firsts = new Map<string, PendingSend>();
    const sent: PendingSend[] = [];
    for (const pending of batch) {
      const id = pending.message.clientMessageId;
      const first = id === undefined ? undefined : firsts.get(`${pending.message.senderId}:${id}`);
      if (first) repeats.set(pending, first);
      else {
        if (id !== undefined) firsts.set(`${pending.message.senderId}:${id}`, pending);
        sent.push(pending);
      }
    }
    const input = JSON.stringify(
      sent.map((pending, ord) => {
        const m = pending.message;
        return {
          ord,
          message_key: pending.key,
          client_message_id: m.clientMessageId ?? null,
          sender_id: m.senderId,
          receiver_id: m.receiverId,
          message: m.text,
          message_type: m.messageType,
          created: m.created,
        };
      }),
    );
    // One presence look-up per batch, and only with a push sender configured (else NULL).
    const push = await this.push.plan(sent.map(({ key, message }) => ({ key, ...message })));
    const rows = await this.execute<ResultRow>('store_message_batch', STORE_BATCH_SQL, [
      input,
      push?.json ?? null,
    ]);
    const outcomes = new Map<PendingSend, StoreOutcome>();
    const unresolved: Array<{ ord: number; pending: PendingSend }> = [];
    const byKey = new Map(sent.map((pending) => [pending.key, pending]));
    // message id -> user id -> position
    const positions = new Map<number, Map<number, number>>();
    for (const row of rows) {
      if (row.feed_user === null) continue;
      const id = Number(row.id);
      const byUser = positions.get(id) ?? new Map<number, number>();
      byUser.set(Number(row.feed_user), Number(row.feed_pos));
      positions.set(id, byUser);
    }
    for (const row of rows) {
      if (row.feed_user !== null) continue;
      if (row.id !== null) {
        const pending = byKey.get(row.message_key!)!;
        const record = freshRecord(pending.message, row);
        if (push?.keys.has(pending.key)) push.stored++;
        const feed = positions.get(record.id)!;
        outcomes.set(pending, {
          kind: 'stored',
          record,
          rowJson: row.row_json!,
          feed: {
            senderPos: feed.get(record.senderId)!,
            receiverPos: feed.get(record.receiverId)!,
          },
        });
        continue;
      }
      const pending = sent[row.ord!];
      if (row.existing) {
        outcomes.set(pending, existingOutcome(pending, row.existing));
      } else if (row.refusal === null) {
        unresolved.push({ ord: row.ord!, pending });
      } else {
        outcomes.set(pending, { kind: 'refused', refusal: row.refusal });
      }
    }
    if (push) this.push.queued(push);
    if (unresolved.length > 0) {
      const found = await this.execute<{ ord: number; existing: ExistingRow | null }>(
        'find_stored_messages',
        FIND_STORED_SQL,
        [
          JSON.stringify(
            unresolved.map(({ ord, pending }) => ({
              ord,
              message_key: pending.key,
              client_message_id: pending.message.clientMessageId ?? null,
              sender_id: pending.message.senderId,
            })),
          ),
        ],
      );
      for (const row of found) {
        if (row.existing) outcomes.set(sent[row.ord], existingOutcome(sent[row.ord], row.existing));
      }
    }
    const retry: PendingSend[] = [];
    for (const pending of batch) {
      const first = repeats.get(pending);
      const outcome = outcomes.get(first ?? pending);
      if (!outcome) {
        retry.push(pending);
      } else if (first && outcome.kind !== 'refused') {
        answers.push(() =>
          pending.resolve({ kind: 'repeat', record: outcome.record, rowJson: outcome.rowJson }),
        );
      } else {
        answers.push(() => pending.resolve(outcome));
      }
    }
    // A repeat whose first is retried is retried with it (and found as its repeat then).
    return retry;
  }

  /**
   * On Postgres a named statement on a connection of TypeORM's pool, checked
   * out here so that a statement still unanswered after SEND_BATCH_TIMEOUT_MS
   * can have its connection destroyed. Each connection parses and plans the
   * statement once, which halves the database's CPU per batch. PGlite has no
   * named statements and no network.
   */
  private async execute<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    if (this.embedded) return this.dataSource.query(text, values);
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw new NotSentError(error);
    }
    // A connection that fails while checked out emits 'error'; the query's rejection reports it.
    const onError = () => undefined;
    client.on('error', onError);
    let timer: NodeJS.Timeout | undefined;
    const query = client.query<T & object>({ name, text, values });
    try {
      const result = await Promise.race([
        query,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`no answer within SEND_BATCH_TIMEOUT_MS=${this.batchTimeoutMs}`)),
            this.batchTimeoutMs,
          );
        }),
      ]);
      client.removeListener('error', onError);
      client.release();
      return result.rows;
    } catch (error) {
      query.catch(() => undefined);
      client.removeListener('error', onError);
      // Not reused: after a timeout or a lost connection its state is unknown (pg-pool ends it).
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A failure to get a connection: the statement was not sent. */
export class NotSentError extends Error {
  constructor(readonly cause: unknown) {
    super(`could not get a database connection: ${String(cause)}`);
  }
}

/**
 * SQLSTATE classes that refuse a statement for what it holds: data (22),
 * integrity (23), syntax or access (42), program limits (54). A foreign-key
 * failure (23503) is also how a batch meets another statement creating the
 * same conversation: split, each message alone then finds the conversation.
 */
const REJECTING_CLASSES = new Set(['22', '23', '42', '54']);

function classify(error: unknown): Failure {
  if (error instanceof NotSentError) return 'not-sent';
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  // A Postgres error (node-postgres and PGlite give it a severity); Node's own errors have codes like ECONNRESET.
  if (typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (REJECTING_CLASSES.has(code.slice(0, 2))) return 'rejected';
  }
  // TypeORM wraps PGlite's errors.
  const driverError = (error as { driverError?: unknown } | null)?.driverError;
  if (driverError && driverError !== error) {
    const inner = classify(driverError);
    if (inner === 'rejected') return inner;
  }
  return 'unknown';
}

function freshRecord(message: OutgoingMessage, row: ResultRow): MessageRecord {
  return {
    id: Number(row.id),
    conversationId: Number(row.chat_constant_id),
    senderId: message.senderId,
    receiverId: message.receiverId,
    text: message.text,
    messageType: message.messageType,
    readStatus: 0,
    deletedId: 0,
    created: message.created,
    updated: message.created,
    clientMessageId: message.clientMessageId ?? null,
  };
}

/** A row found by key: this send's own (an earlier run stored it), or a repeat of the sender's. */
function existingOutcome(pending: PendingSend, row: ExistingRow): StoreOutcome {
  const record: MessageRecord = {
    id: Number(row.id),
    conversationId: Number(row.chat_constant_id),
    senderId: Number(row.sender_id),
    receiverId: Number(row.receiver_id),
    text: row.message,
    messageType: Number(row.message_type),
    readStatus: Number(row.read_status),
    deletedId: Number(row.deleted_id),
    created: Number(row.created),
    updated: Number(row.updated),
    clientMessageId: row.client_message_id,
  };
  if (row.message_key !== pending.key) return { kind: 'repeat', record, rowJson: row.row_json };
  if (row.sender_feed && row.receiver_pos !== null) {
    // The row as its feed entries hold it: what the live event must carry.
    return {
      kind: 'stored',
      record,
      rowJson: row.sender_feed.data,
      feed: { senderPos: Number(row.sender_feed.pos), receiverPos: Number(row.receiver_pos) },
    };
  }
  return { kind: 'stored', record, rowJson: row.row_json, feed: null };
}

/**
 * A message's key: a UUID of version 7 (RFC 9562: the first 48 bits are the
 * unix time in ms), so keys drawn together sit together in the unique index
 * instead of touching a random page of it per insert as random UUIDs do.
 * Built on crypto.randomUUID (its random bits, variant and layout): three
 * times faster than the uuid package's v7.
 */
export function messageKey(): string {
  const uuid = randomUUID();
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${uuid.slice(15)}`;
}

/** The sender of a message, as an ordering key (never equal to a pairKey). */
function senderKey({ senderId }: OutgoingMessage): string {
  return `from ${senderId}`;
}

/** The conversation of a message: its unordered pair of users. */
function pairKey({ senderId, receiverId }: OutgoingMessage): string {
  return senderId < receiverId ? `${senderId}:${receiverId}` : `${receiverId}:${senderId}`;
}
