import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Conversation } from '../conversations/conversation.entity.js';
import { User } from '../users/user.entity.js';

export enum MessageType {
  Text = 0,
  Image = 1,
  Video = 2,
}

@Entity({ name: 'messages' })
// History of a conversation, newest pages first.
@Index('ix_messages_conversation_id', ['conversationId', 'id'])
// Unread counts and read marking: only unread rows are indexed.
@Index('ix_messages_unread_by_receiver', ['receiverId', 'conversationId'], {
  where: 'read_status = 0',
})
// A send retried after an unknown outcome finds the row its first attempt stored.
@Index('uq_messages_message_key', ['messageKey'], { unique: true })
// Idempotent send: one row per sender and clientMessageId, across nodes.
@Index('uq_messages_sender_client_message_id', ['senderId', 'clientMessageId'], {
  unique: true,
  where: 'client_message_id IS NOT NULL',
})
export class Message {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @ForeignKey(() => Conversation, { name: 'messages_chat_constant_id_fkey' })
  @Column({ name: 'chat_constant_id', type: 'integer' })
  conversationId: number;

  @ForeignKey(() => User, { name: 'messages_sender_id_fkey' })
  @Column({ name: 'sender_id', type: 'integer' })
  senderId: number;

  @ForeignKey(() => User, { name: 'messages_receiver_id_fkey' })
  @Column({ name: 'receiver_id', type: 'integer' })
  receiverId: number;

  /** Always 0: the legacy protocol has no group chats. */
  @Column({ name: 'group_id', type: 'integer', default: 0 })
  groupId: number;

  @Column({ type: 'text' })
  message: string;

  @Column({ name: 'message_type', type: 'smallint' })
  messageType: MessageType;

  /** 0 unread, 1 read by the receiver. */
  @Column({ name: 'read_status', type: 'smallint', default: 0 })
  readStatus: number;

  /** 0, or the one user who cleared this message (per-user deletion). */
  @Column({ name: 'deleted_id', type: 'integer', default: 0 })
  deletedId: number;

  /** Unix seconds. */
  @Column({ type: 'bigint' })
  created: string;

  @Column({ type: 'bigint' })
  updated: string;

  /** Drawn by the server when it accepts the message; NULL on rows stored before keys existed. */
  @Column({ name: 'message_key', type: 'uuid', nullable: true })
  messageKey: string | null;

  /** The sender's optional key (send_message `clientMessageId`), 1 to 64 characters. */
  @Column({ name: 'client_message_id', type: 'varchar', length: 64, nullable: true })
  clientMessageId: string | null;
}
