import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { changedRows } from '../common/changed-rows.js';

/** A ban as the admin API and the nodes' memory hold it; times in unix seconds. */
export interface BanState {
  userId: number;
  reason: string;
  /** When it ends by itself; null: never. */
  until: number | null;
  since: number;
  by: string;
}

const COLUMNS = `user_id AS "userId", reason,
  floor(extract(epoch FROM until))::bigint AS until,
  floor(extract(epoch FROM created_at))::bigint AS since, created_by AS by`;
const ACTIVE = `(until IS NULL OR until > now())`;

/** The bans table; one statement per method. */
@Injectable()
export class BansRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Bans the user (replacing a ban they had). */
  async upsert(
    userId: number,
    reason: string,
    until: number | null,
    actor: string,
  ): Promise<BanState> {
    const [row] = await this.dataSource.query(
      `INSERT INTO bans (user_id, reason, until, created_by) VALUES ($1, $2, to_timestamp($3::double precision), $4)
       ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason, until = EXCLUDED.until,
         created_at = now(), created_by = EXCLUDED.created_by
       RETURNING ${COLUMNS}`,
      [userId, reason, until, actor],
    );
    return toState(row);
  }

  /** Lifts the user's ban; resolves to the ban that was in force, if any. */
  async delete(userId: number): Promise<BanState | undefined> {
    // In a CTE: TypeORM answers a bare DELETE as [rows, count].
    const rows: unknown[] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM bans WHERE user_id = $1 RETURNING *)
       SELECT ${COLUMNS}, ${ACTIVE} AS active FROM gone`,
      [userId],
    );
    const row = rows[0] as (Record<string, unknown> & { active: boolean }) | undefined;
    return row?.active ? toState(row) : undefined;
  }

  async findActive(userId: number): Promise<BanState | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM bans WHERE user_id = $1 AND ${ACTIVE}`,
      [userId],
    );
    return row ? toState(row) : undefined;
  }

  /** Every ban in force (a node's memory at start-up and after a Redis outage). */
  async findAllActive(): Promise<BanState[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM bans WHERE ${ACTIVE}`,
    );
    return rows.map(toState);
  }

  /** Erasure: the user's ban row, inside the erasure's transaction. */
  async erase(manager: EntityManager, userId: number): Promise<number> {
    return changedRows(manager, 'DELETE FROM bans WHERE user_id = $1', [userId]);
  }
}

function toState(row: Record<string, unknown>): BanState {
  return {
    userId: Number(row.userId),
    reason: String(row.reason),
    until: row.until === null ? null : Number(row.until),
    since: Number(row.since),
    by: String(row.by),
  };
}
