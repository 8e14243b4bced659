import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { changedRows } from '../common/changed-rows.js';
import { FeedPositions, parseFeedPositions } from '../feed/feed-positions.js';
import { FEED_APPEND_CTES, FEED_POSITIONS_SQL } from '../feed/feed.sql.js';
import { BlockRefusal, blockRefusalSql } from './block-rule.sql.js';
import type { ReportResolution, ReportStatus } from './report.entity.js';

/** A profile as the admin API shows it; null once the user was erased. */
export interface AdminProfile {
  id: number;
  name: string;
  image: string;
}

/** A report as the admin queue shows it; times in unix seconds. */
export interface ReportView {
  id: number;
  reporterId: number;
  reportedId: number;
  reporter: AdminProfile | null;
  reported: AdminProfile | null;
  comment: string | null;
  created: number;
  status: ReportStatus;
  /** Open reports against the reported user, this one included while open. */
  openReportsAgainstReported: number;
  resolution: ReportResolution | null;
  note: string | null;
  resolved: number | null;
  resolvedBy: string | null;
}

const REPORT_VIEW = `r.id, r.reporter_id AS "reporterId", r.reported_id AS "reportedId",
  CASE WHEN ru.id IS NULL THEN NULL ELSE json_build_object('id', ru.id, 'name', ru.name, 'image', ru.image) END AS reporter,
  CASE WHEN du.id IS NULL THEN NULL ELSE json_build_object('id', du.id, 'name', du.name, 'image', du.image) END AS reported,
  r.comment, floor(extract(epoch FROM r.created_at))::bigint AS created, r.status,
  (SELECT count(*) FROM reports o WHERE o.reported_id = r.reported_id AND o.status = 'open')::integer
    AS "openReportsAgainstReported",
  r.resolution, r.resolution_note AS note,
  floor(extract(epoch FROM r.resolved_at))::bigint AS resolved, r.resolved_by AS "resolvedBy"
FROM reports r
LEFT JOIN users ru ON ru.id = r.reporter_id
LEFT JOIN users du ON du.id = r.reported_id`;

/** The blocks and reports tables; one statement per method. */
@Injectable()
export class ModerationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Blocks (status 1) or unblocks (0), idempotently, and appends block_data
   * to both users' feeds in the same statement (they are told either way).
   */
  async setBlock(blockerId: number, blockedId: number, status: 0 | 1): Promise<FeedPositions> {
    const change =
      status === 1
        ? `INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`
        : `DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1`;
    const [result]: Array<{ feed_positions: string | null }> = await this.dataSource.query(
      `WITH changed AS (${change}),
       feed_source AS (
         -- block_data's payload (status and blocker echoed as strings, as the legacy server sent them).
         SELECT u.user_id, u.ord::bigint AS ord, 'block_data'::text AS event,
           concat('{"block_data":', to_json($3::text), ',"userId":', to_json($1::text), '}') AS data,
           NULL::integer AS message_id
         FROM (VALUES ($1::integer, 1), ($2::integer, 2)) AS u(user_id, ord)
         WHERE (SELECT count(*) FROM changed) >= 0
       ),${FEED_APPEND_CTES}
       SELECT ${FEED_POSITIONS_SQL} AS feed_positions`,
      [blockerId, blockedId, String(status)],
    );
    return parseFeedPositions(result.feed_positions);
  }

  /** The block rule for one message (see blockRefusalSql). */
  async blockRefusal(senderId: number, receiverId: number): Promise<BlockRefusal | null> {
    const [{ refusal }]: Array<{ refusal: BlockRefusal | null }> = await this.dataSource.query(
      `SELECT ${blockRefusalSql('$1::integer', '$2::integer')} AS refusal`,
      [senderId, receiverId],
    );
    return refusal;
  }

  /**
   * The admin queue: reports newest first, after `beforeId` (the cursor),
   * at most `limit`, in one statement (profiles and open counts joined).
   */
  async listReports(
    status: ReportStatus | undefined,
    beforeId: number | undefined,
    limit: number,
  ): Promise<ReportView[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${REPORT_VIEW}
       WHERE ($1::text IS NULL OR r.status = $1) AND ($2::integer IS NULL OR r.id < $2)
       ORDER BY r.id DESC LIMIT $3`,
      [status ?? null, beforeId ?? null, limit],
    );
    return rows.map(toReportView);
  }

  async findReport(id: number): Promise<ReportView | undefined> {
    const [row] = await this.dataSource.query(`SELECT ${REPORT_VIEW} WHERE r.id = $1`, [id]);
    return row ? toReportView(row as Record<string, unknown>) : undefined;
  }

  /** Resolves an open report; false when it was not open (resolved meanwhile). */
  async resolveReport(
    id: number,
    resolution: ReportResolution,
    note: string | null,
    actor: string,
  ): Promise<boolean> {
    const changed = await changedRows(
      this.dataSource,
      `UPDATE reports SET status = 'resolved', resolution = $2, resolution_note = $3,
         resolved_at = now(), resolved_by = $4
       WHERE id = $1 AND status = 'open'`,
      [id, resolution, note, actor],
    );
    return changed === 1;
  }

  /** Erasure: reports the user made (reports against them stay, for the audit). */
  async eraseReportsMade(manager: EntityManager, userId: number): Promise<number> {
    return changedRows(manager, 'DELETE FROM reports WHERE reporter_id = $1', [userId]);
  }

  /**
   * Erasure: blocks the user made, and blocks of them (their foreign key
   * names the user); resolves to the other user of each.
   */
  async eraseBlocks(manager: EntityManager, userId: number): Promise<number[]> {
    const rows: Array<{ other: number }> = await manager.query(
      `WITH gone AS (DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1
                     RETURNING blocker_id, blocked_id)
       SELECT CASE WHEN blocker_id = $1 THEN blocked_id ELSE blocker_id END AS other FROM gone`,
      [userId],
    );
    return rows.map((row) => Number(row.other));
  }

  async countReports(manager: EntityManager, userId: number): Promise<Record<string, number>> {
    const [row]: Array<Record<string, string | number>> = await manager.query(
      `SELECT count(*) FILTER (WHERE reported_id = $1) AS against,
         count(*) FILTER (WHERE reported_id = $1 AND status = 'open') AS open_against,
         count(*) FILTER (WHERE reporter_id = $1) AS made
       FROM reports WHERE reported_id = $1 OR reporter_id = $1`,
      [userId],
    );
    return {
      reportsAgainst: Number(row.against),
      openReportsAgainst: Number(row.open_against),
      reportsMade: Number(row.made),
    };
  }

  async countBlocks(manager: EntityManager, userId: number): Promise<Record<string, number>> {
    const [row]: Array<Record<string, string | number>> = await manager.query(
      `SELECT count(*) FILTER (WHERE blocker_id = $1) AS made,
         count(*) FILTER (WHERE blocked_id = $1) AS against
       FROM blocks WHERE blocker_id = $1 OR blocked_id = $1`,
      [userId],
    );
    return { blocksMade: Number(row.made), blockedBy: Number(row.against) };
  }

  async addReport(reporterId: number, reportedId: number, comment: string | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO reports (reporter_id, reported_id, comment) VALUES ($1, $2, $3)`,
      [reporterId, reportedId, comment],
    );
  }
}

function toReportView(row: Record<string, unknown>): ReportView {
  const profile = (value: unknown): AdminProfile | null => {
    if (value === null || value === undefined) return null;
    const p = (typeof value === 'string' ? JSON.parse(value) : value) as AdminProfile;
    return { id: Number(p.id), name: p.name, image: p.image };
  };
  return {
    id: Number(row.id),
    reporterId: Number(row.reporterId),
    reportedId: Number(row.reportedId),
    reporter: profile(row.reporter),
    reported: profile(row.reported),
    comment: (row.comment as string | null) ?? null,
    created: Number(row.created),
    status: row.status as ReportStatus,
    openReportsAgainstReported: Number(row.openReportsAgainstReported),
    resolution: (row.resolution as ReportResolution | null) ?? null,
    note: (row.note as string | null) ?? null,
    resolved: row.resolved === null ? null : Number(row.resolved),
    resolvedBy: (row.resolvedBy as string | null) ?? null,
  };
}
