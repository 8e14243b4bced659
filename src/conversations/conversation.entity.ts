import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * The legacy "chat constant": one row per unordered pair of users, created by
 * the first message either way. `userLowId < userHighId` and the unique pair
 * constraint make two simultaneous first messages meet on one row.
 */
@Entity({ name: 'chat_constants' })
@Unique('uq_chat_constants_pair', ['userLowId', 'userHighId'])
@Index('ix_chat_constants_high_last', ['userHighId', 'lastMessageId'])
@Index('ix_chat_constants_low_last', ['userLowId', 'lastMessageId'])
export class Conversation {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** Sender of the first message (shown as `senderId` in chat_message rows). */
  @Column({ name: 'sender_id', type: 'integer' })
  senderId: number;

  /** Receiver of the first message (shown as `receiverId`). */
  @Column({ name: 'receiver_id', type: 'integer' })
  receiverId: number;

  @Column({ name: 'user_low_id', type: 'integer' })
  userLowId: number;

  @Column({ name: 'user_high_id', type: 'integer' })
  userHighId: number;

  @Column({ name: 'last_message_id', type: 'integer', nullable: true })
  lastMessageId: number | null;

  /** Per-user cleared marker: hidden from that user's listing until a new message. */
  @Column({ name: 'cleared_by_low', type: 'boolean', default: false })
  clearedByLow: boolean;

  @Column({ name: 'cleared_by_high', type: 'boolean', default: false })
  clearedByHigh: boolean;

  /** Unix seconds. */
  @Column({ type: 'bigint' })
  created: string;

  /** Unix seconds of the last message. */
  @Column({ type: 'bigint' })
  updated: string;
}
