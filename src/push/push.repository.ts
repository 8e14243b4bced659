import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { visibleToSql } from '../conversations/clear-rule.sql.js';
import type { PushSenderKind } from '../config/push-config.js';
import { changedRows } from '../common/changed-rows.js';
import type { DevicePlatform } from './push-device.entity.js';

/** A leased push, with what sending it needs. */
export interface LeasedPush {
  id: string;
  deliveryId: string;
  sender: PushSenderKind;
  messageId: number;
  receiverId: number;
  /** The new_message row the sender was answered with (JSON text). */
  payload: string;
  /** This lease included. */
  attempts: number;
  /** The receiver's unread messages now (this one included while it is unread). */
  unreadCount: number;
  /** fcm: the receiver's device tokens; empty for the webhook. */
  devices: Array<{ token: string; platform: DevicePlatform }>;
  /** fcm: tokens an earlier attempt already delivered to. */
  doneTargets: string[];
}

/** Device tokens kept per user: registering one more drops the least recently registered. */
export const MAX_DEVICES_PER_USER = 50;

/**
 * (Statements that return rows from an UPDATE read them through a CTE:
 * TypeORM answers a bare UPDATE with [rows, count].)
 *
 * Leases due pushes: rows other workers hold are skipped (SKIP LOCKED), so
 * every node can run this at once and each push goes to one of them; the
 * lease moves `due_at` forward, so a push whose node died becomes due again
 * when its lease ends. The receiver's unread count and devices are read in
 * the same statement.
 */
const LEASE_SQL = `
WITH leased AS (
UPDATE push_deliveries d
SET due_at = now() + $3::integer * interval '1 millisecond', attempts = d.attempts + 1
WHERE d.id IN (
  SELECT id FROM push_deliveries
  WHERE dead_at IS NULL AND due_at <= now() AND sender = ANY($1::text[])
  ORDER BY due_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.delivery_id, d.sender, d.message_id, d.receiver_id, d.payload, d.attempts, d.done_targets,
  (SELECT count(*) FROM messages m
   WHERE m.receiver_id = d.receiver_id AND m.read_status = 0 AND ${visibleToSql('m', 'd.receiver_id')})::integer
    AS unread_count,
  CASE WHEN d.sender = 'fcm' THEN (
    SELECT json_agg(json_build_object('token', v.token, 'platform', v.platform) ORDER BY v.updated_at)
    FROM push_devices v WHERE v.user_id = d.receiver_id) END AS devices
)
SELECT * FROM leased`;

interface LeaseRow {
  id: string | number;
  delivery_id: string;
  sender: PushSenderKind;
  message_id: number;
  receiver_id: number;
  payload: string;
  attempts: number;
  done_targets: string | null;
  unread_count: number;
  devices: Array<{ token: string; platform: DevicePlatform }> | string | null;
}

/** The push tables' statements: the queue (push_deliveries) and device tokens (push_devices). */
@Injectable()
export class PushRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async lease(senders: PushSenderKind[], limit: number, leaseMs: number): Promise<LeasedPush[]> {
    const rows: LeaseRow[] = await this.dataSource.query(LEASE_SQL, [senders, limit, leaseMs]);
    return rows.map((row) => ({
      id: String(row.id),
      deliveryId: row.delivery_id,
      sender: row.sender,
      messageId: Number(row.message_id),
      receiverId: Number(row.receiver_id),
      payload: row.payload,
      attempts: Number(row.attempts),
      unreadCount: Number(row.unread_count),
      devices:
        typeof row.devices === 'string'
          ? (JSON.parse(row.devices) as LeasedPush['devices'])
          : (row.devices ?? []),
      doneTargets: row.done_targets ? (JSON.parse(row.done_targets) as string[]) : [],
    }));
  }

  /**
   * The provider accepted them (or there was nothing to send): gone from the queue. Guarded by `attempts`, so
   * a worker whose lease ran out does not touch a row another worker leased
   * since.
   */
  async delivered(pushes: LeasedPush[]): Promise<void> {
    if (pushes.length === 0) return;
    // One statement (one commit) for a pass's sent pushes: a commit per push made the queue's
    // deletes compete with the send batches for the database.
    await this.dataSource.query(
      `DELETE FROM push_deliveries d
       USING json_to_recordset($1::json) AS t(id bigint, attempts integer)
       WHERE d.id = t.id AND d.attempts = t.attempts`,
      [JSON.stringify(pushes.map(({ id, attempts }) => ({ id, attempts })))],
    );
  }

  /**
   * Due again after `delayMs`, or dead-lettered when that is past
   * `retryForMs` since it was queued (the database's clock decides).
   * Returns whether it was dead-lettered.
   */
  async retryLater(
    push: LeasedPush,
    delayMs: number,
    retryForMs: number,
    error: string,
    doneTargets: string[],
  ): Promise<boolean> {
    const rows: Array<{ dead: boolean }> = await this.dataSource.query(
      `WITH changed AS (
       UPDATE push_deliveries SET
         due_at = now() + $3::bigint * interval '1 millisecond',
         dead_at = CASE WHEN now() + $3::bigint * interval '1 millisecond'
                        > created_at + $4::bigint * interval '1 millisecond' THEN now() END,
         last_error = $5, done_targets = $6
       WHERE id = $1 AND attempts = $2
       RETURNING dead_at IS NOT NULL AS dead)
       SELECT dead FROM changed`,
      [
        push.id,
        push.attempts,
        Math.round(delayMs),
        retryForMs,
        error.slice(0, 1000),
        doneTargets.length > 0 ? JSON.stringify(doneTargets) : null,
      ],
    );
    return rows[0]?.dead === true;
  }

  /** Given up at once (the provider refused it for good): kept as a dead letter. */
  async deadLetter(push: LeasedPush, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE push_deliveries SET dead_at = now(), last_error = $3 WHERE id = $1 AND attempts = $2`,
      [push.id, push.attempts, error.slice(0, 1000)],
    );
  }

  /** Handed back unsent (shutdown): due again at once, for any node. */
  async release(push: LeasedPush): Promise<void> {
    await this.dataSource.query(
      `UPDATE push_deliveries SET due_at = now() WHERE id = $1 AND attempts = $2`,
      [push.id, push.attempts],
    );
  }

  /** Deletes dead letters that died more than `days` ago; returns how many. */
  async pruneDeadLetters(days: number): Promise<number> {
    const [row]: Array<{ n: number }> = await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM push_deliveries WHERE dead_at < now() - $1::integer * interval '1 day' RETURNING 1)
       SELECT count(*)::integer AS n FROM gone`,
      [days],
    );
    return Number(row?.n ?? 0);
  }

  /** Seconds since the oldest live push was queued (0 when none). */
  async queueAgeSeconds(): Promise<number> {
    const [row]: Array<{ age: number | string | null }> = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age
       FROM push_deliveries WHERE dead_at IS NULL`,
    );
    return row?.age === null || row?.age === undefined ? 0 : Math.max(0, Number(row.age));
  }

  /** Replaces the user's device tokens (admin API); a token another user had moves to this one. */
  async replaceDevices(
    userId: number,
    devices: Array<{ token: string; platform: DevicePlatform }>,
  ): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.query(`DELETE FROM push_devices WHERE user_id = $1`, [userId]);
      if (devices.length === 0) return;
      await em.query(
        `INSERT INTO push_devices (token, user_id, platform, updated_at)
         SELECT t.token, $1, t.platform, now()
         FROM json_to_recordset($2::json) AS t(token text, platform text)
         ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id,
           platform = EXCLUDED.platform, updated_at = EXCLUDED.updated_at`,
        [userId, JSON.stringify(devices)],
      );
    });
  }

  /** Adds or refreshes one token of the user's (register_device), keeping MAX_DEVICES_PER_USER. */
  async registerDevice(userId: number, token: string, platform: DevicePlatform): Promise<void> {
    await this.dataSource.query(
      `WITH upserted AS (
         INSERT INTO push_devices (token, user_id, platform, updated_at) VALUES ($2, $1, $3, now())
         ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id,
           platform = EXCLUDED.platform, updated_at = EXCLUDED.updated_at
         RETURNING token)
       DELETE FROM push_devices WHERE user_id = $1 AND token NOT IN (SELECT token FROM upserted)
         AND token NOT IN (SELECT token FROM push_devices WHERE user_id = $1
                           ORDER BY updated_at DESC LIMIT $4 - 1)`,
      [userId, token, platform, MAX_DEVICES_PER_USER],
    );
  }

  /** The user's device tokens, oldest registration first. */
  async devicesOf(userId: number): Promise<Array<{ token: string; platform: DevicePlatform }>> {
    return this.dataSource.query(
      `SELECT token, platform FROM push_devices WHERE user_id = $1 ORDER BY updated_at, token`,
      [userId],
    );
  }

  /** Tokens FCM called dead (UNREGISTERED, INVALID_ARGUMENT). */
  async removeTokens(tokens: string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.dataSource.query(`DELETE FROM push_devices WHERE token = ANY($1::text[])`, [tokens]);
  }
  /**
   * Erasure: pushes to the user, and pushes of their messages to others (their
   * payload is the message row, with the user's name and text), queued or
   * dead-lettered. Runs before the messages are deleted.
   */
  erasePushesOf(manager: EntityManager, userId: number): Promise<number> {
    return changedRows(
      manager,
      `DELETE FROM push_deliveries WHERE receiver_id = $1
         OR message_id IN (SELECT id FROM messages WHERE sender_id = $1 OR receiver_id = $1)`,
      [userId],
    );
  }

  /** Erasure: the user's device tokens. */
  eraseDevicesOf(manager: EntityManager, userId: number): Promise<number> {
    return changedRows(manager, 'DELETE FROM push_devices WHERE user_id = $1', [userId]);
  }

  async countDevicesOf(manager: EntityManager, userId: number): Promise<number> {
    const [row]: Array<{ n: string | number }> = await manager.query(
      'SELECT count(*) AS n FROM push_devices WHERE user_id = $1',
      [userId],
    );
    return Number(row.n);
  }
}
