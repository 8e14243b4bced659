import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One event addressed to a user, at its position in that user's feed
 * (consecutive from 1, see FeedHead). `data` is the live event's payload as
 * JSON text, without `pos` (spliced in when read). No foreign key to users:
 * the feed is appended on the hot send path (a user erasure, when there is one,
 * must delete a user's feed rows itself).
 */
@Entity({ name: 'feed_events' })
// Pruning by age walks this small block-range index, not the table.
@Index('ix_feed_events_created', { synchronize: false })
export class FeedEvent {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @PrimaryColumn({ type: 'bigint' })
  pos: string;

  /** The live event's name: new_message, read_status, block_data, cleared_chat. */
  @Column({ type: 'varchar', length: 32 })
  event: string;

  @Column({ type: 'text' })
  data: string;

  /** new_message: the message, so a send retried after a lost answer finds its positions. */
  @Column({ name: 'message_id', type: 'integer', nullable: true })
  messageId: number | null;

  /** Unix seconds. */
  @Column({ type: 'bigint' })
  created: string;
}
