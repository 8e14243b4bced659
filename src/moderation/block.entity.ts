import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** `blockerId` blocks `blockedId`; the primary key makes blocking idempotent. */
@Entity({ name: 'blocks' })
export class Block {
  @PrimaryColumn({ name: 'blocker_id', type: 'integer' })
  blockerId: number;

  @PrimaryColumn({ name: 'blocked_id', type: 'integer' })
  blockedId: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
