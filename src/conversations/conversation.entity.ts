import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * The legacy "chat constant": one row per unordered pair of users, created by
 * the first message either way. `userLowId < userHighId` and the unique pair
 * constraint make two simultaneous first messages meet on one row.
 */
@Entity({ name: 'chat_constants' })
@Unique('uq_chat_constants_pair', ['userLowId', 'userHighId'])
@Check('ck_chat_constants_ordered_pair', '"user_low_id" < "user_high_id"')
@Index('ix_chat_constants_high_last', ['userHighId', 'lastMessageId'])
@Index('ix_chat_constants_low_last', ['userLowId', 'lastMessageId'])
export class Conversation {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** Sender of the first message (shown as `senderId` in chat_message rows). */
  @ForeignKey(() => User, { name: 'chat_constants_sender_id_fkey' })
  @Column({ name: 'sender_id', type: 'integer' })
  senderId: number;

  /** Receiver of the first message (shown as `receiverId`). */
  @ForeignKey(() => User, { name: 'chat_constants_receiver_id_fkey' })
  @Column({ name: 'receiver_id', type: 'integer' })
  receiverId: number;

  @ForeignKey(() => User, { name: 'chat_constants_user_low_id_fkey' })
  @Column({ name: 'user_low_id', type: 'integer' })
  userLowId: number;

  @ForeignKey(() => User, { name: 'chat_constants_user_high_id_fkey' })
  @Column({ name: 'user_high_id', type: 'integer' })
  userHighId: number;

  @Column({ name: 'last_message_id', type: 'integer', nullable: true })
  lastMessageId: number | null;

  /**
   * The last message's text, type and `created`, copied by the send that
   * stores it (chat_listing shows them). NULL while there is no last message.
   */
  @Column({ name: 'last_message', type: 'text', nullable: true })
  lastMessage: string | null;

  @Column({ name: 'last_message_type', type: 'smallint', nullable: true })
  lastMessageType: number | null;

  @Column({ name: 'last_message_created', type: 'bigint', nullable: true })
  lastMessageCreated: string | null;

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
