import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every report is kept, so moderators see how often someone was reported. */
@Entity({ name: 'reports' })
@Index('ix_reports_reported', ['reportedId'])
export class Report {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'reporter_id', type: 'integer' })
  reporterId: number;

  @Column({ name: 'reported_id', type: 'integer' })
  reportedId: number;

  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
