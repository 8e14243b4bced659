import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One admin action (README "Moderation"): who (the admin token's label),
 * what (the domain event's name and details), about which user or report.
 * No foreign keys: the trail outlives the users and reports it names.
 */
@Entity({ name: 'admin_audit' })
export class AuditEntry {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 100 })
  actor: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @Column({ name: 'report_id', type: 'integer', nullable: true })
  reportId: number | null;

  @Column({ type: 'jsonb', default: {} })
  details: Record<string, unknown>;
}
