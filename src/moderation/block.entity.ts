import { CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/** `blockerId` blocks `blockedId`; the primary key makes blocking idempotent. */
@Entity({ name: 'blocks' })
export class Block {
  @ForeignKey(() => User, { name: 'blocks_blocker_id_fkey' })
  @PrimaryColumn({ name: 'blocker_id', type: 'integer' })
  blockerId: number;

  @ForeignKey(() => User, { name: 'blocks_blocked_id_fkey' })
  @PrimaryColumn({ name: 'blocked_id', type: 'integer' })
  blockedId: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
