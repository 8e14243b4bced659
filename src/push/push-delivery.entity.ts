import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A push due to one receiver for one message, through one sender (webhook or
 * fcm), queued by the send statement in the same transaction as the message
 * (push-queue.sql.ts). Deleted once the provider accepted it; a push that
 * failed for good (a 4xx, or still failing after PUSH_RETRY_FOR_MS) stays
 * with `dead_at` set: the dead letters. `due_at` is when a worker may lease
 * it next: while a worker holds it, the end of its lease.
 */
@Entity({ name: 'push_deliveries' })
@Index('uq_push_deliveries_delivery_sender', ['deliveryId', 'sender'], { unique: true })
// Leasing walks the live rows by due time: a partial index (declared in the migration).
@Index('ix_push_deliveries_due', { synchronize: false })
export class PushDelivery {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** Stable per (message, receiver): the message's key. The receiving end dedupes by it. */
  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  @Column({ type: 'varchar', length: 16 })
  sender: string;

  @Column({ name: 'message_id', type: 'integer' })
  messageId: number;

  @Column({ name: 'receiver_id', type: 'integer' })
  receiverId: number;

  /** The new_message row the sender was answered with (JSON text). */
  @Column({ type: 'text' })
  payload: string;

  /** Leases so far (a lease that expired counts: its node may have sent). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'due_at', type: 'timestamptz', default: () => 'now()' })
  dueAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'dead_at', type: 'timestamptz', nullable: true })
  deadAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /** FCM: the device tokens already accepted (a JSON array), so a retry skips them. */
  @Column({ name: 'done_targets', type: 'text', nullable: true })
  doneTargets: string | null;
}
