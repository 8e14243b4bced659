import {
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { User } from '../users/user.entity.js';

/** Every report is kept, so moderators see how often someone was reported. */
@Entity({ name: 'reports' })
@Index('ix_reports_reported', ['reportedId'])
export class Report {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @ForeignKey(() => User, { name: 'reports_reporter_id_fkey' })
  @Column({ name: 'reporter_id', type: 'integer' })
  reporterId: number;

  @ForeignKey(() => User, { name: 'reports_reported_id_fkey' })
  @Column({ name: 'reported_id', type: 'integer' })
  reportedId: number;

  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
