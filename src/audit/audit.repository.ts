import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AdminAction } from '../events/admin-action.js';

/** An audit entry as GET /admin/audit shows it; `time` in unix seconds. */
export interface AuditView {
  id: number;
  time: number;
  actor: string;
  action: string;
  userId: number | null;
  reportId: number | null;
  details: Record<string, unknown>;
}

/** The admin_audit table; one statement per method. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(action: string, event: AdminAction): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO admin_audit (actor, action, user_id, report_id, details) VALUES ($1, $2, $3, $4, $5::jsonb)`,
      [
        event.actor,
        action,
        event.userId ?? null,
        event.reportId ?? null,
        JSON.stringify(event.details),
      ],
    );
  }

  /** Newest first, before `beforeId` (the cursor), optionally about one user. */
  async list(
    beforeId: number | undefined,
    userId: number | undefined,
    limit: number,
  ): Promise<AuditView[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT id, floor(extract(epoch FROM created_at))::bigint AS time, actor, action,
         user_id AS "userId", report_id AS "reportId", details
       FROM admin_audit
       WHERE ($1::integer IS NULL OR id < $1) AND ($2::integer IS NULL OR user_id = $2)
       ORDER BY id DESC LIMIT $3`,
      [beforeId ?? null, userId ?? null, limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      time: Number(row.time),
      actor: String(row.actor),
      action: String(row.action),
      userId: row.userId === null ? null : Number(row.userId),
      reportId: row.reportId === null ? null : Number(row.reportId),
      details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<
        string,
        unknown
      >,
    }));
  }
}
