import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { User } from '../users/user.entity.js';

export type ReportStatus = 'open' | 'resolved';
export type ReportResolution = 'dismiss' | 'ban';

/**
 * Every report is kept, so moderators see how often someone was reported.
 * `reportedId` has no foreign key: reports against a user outlive the user's
 * erasure, for the audit (README "Moderation").
 */
@Entity({ name: 'reports' })
@Index('ix_reports_reported', ['reportedId'])
// The admin queue: newest first within a status.
@Index('ix_reports_status_id', ['status', 'id'])
@Check('ck_reports_status', `"status" IN ('open', 'resolved')`)
export class Report {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @ForeignKey(() => User, { name: 'reports_reporter_id_fkey' })
  @Column({ name: 'reporter_id', type: 'integer' })
  reporterId: number;

  @Column({ name: 'reported_id', type: 'integer' })
  reportedId: number;

  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status: ReportStatus;

  @Column({ type: 'varchar', length: 16, nullable: true })
  resolution: ReportResolution | null;

  @Column({ name: 'resolution_note', type: 'text', nullable: true })
  resolutionNote: string | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  /** The admin token's label (ADMIN_TOKEN_LABEL) that resolved it. */
  @Column({ name: 'resolved_by', type: 'varchar', length: 100, nullable: true })
  resolvedBy: string | null;
}
