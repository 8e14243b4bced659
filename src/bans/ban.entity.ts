import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * A user's ban: one row per banned user, replaced by a new ban and deleted
 * by an unban. A row whose `until` has passed bans nobody (every check reads
 * `until`), so an expired ban needs no job to lift it.
 */
@Entity({ name: 'bans' })
export class Ban {
  @ForeignKey(() => User, { name: 'bans_user_id_fkey' })
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ type: 'text', default: '' })
  reason: string;

  /** When the ban ends by itself; null: never. */
  @Column({ type: 'timestamptz', nullable: true })
  until: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** The admin token's label (ADMIN_TOKEN_LABEL). */
  @Column({ name: 'created_by', type: 'varchar', length: 100 })
  createdBy: string;
}
