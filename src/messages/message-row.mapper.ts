import type { Profile } from '../users/users.service.js';
import type { OutgoingMessage, StoredMessage } from './send-batcher.js';

/** A stored message as read from SQL (snake_case columns, bigints as strings). */
export interface MessageRecord {
  id: number;
  chat_constant_id: number;
  sender_id: number;
  receiver_id: number;
  group_id: number;
  message: string;
  read_status: number;
  message_type: number;
  deleted_id: number;
  created: string | number;
  updated: string | number;
}

interface MessageFields {
  id: number;
  senderId: number;
  receiverId: number;
  chatConstantId: number;
  groupId: number;
  message: string;
  readStatus: number;
  messageType: number;
  deletedId: number;
  created: number;
  updated: number;
}

/** new_message: the stored row with its sender's and receiver's profiles. */
export interface NewMessageRow extends MessageFields {
  senderName: string;
  senderImage: string;
  recieverImage: string; // sic: legacy spelling (contract, "Rows")
  recieverName: string;
}

/** get_data_message rows: profiles of the request's two parties, the same on every row. */
export interface HistoryRow extends MessageFields {
  recieverName: string;
  image: string;
  senderName: string;
  senderImage: string;
}

function messageFields(record: MessageRecord): MessageFields {
  // node-postgres returns bigint as strings: every number on the wire is a JSON number.
  return {
    id: Number(record.id),
    senderId: Number(record.sender_id),
    receiverId: Number(record.receiver_id),
    chatConstantId: Number(record.chat_constant_id),
    groupId: Number(record.group_id),
    message: record.message,
    readStatus: Number(record.read_status),
    messageType: Number(record.message_type),
    deletedId: Number(record.deleted_id),
    created: Number(record.created),
    updated: Number(record.updated),
  };
}

/** new_message for a message just stored: the columns it did not set are their defaults (0). */
export function toNewMessageRow(
  stored: StoredMessage,
  message: OutgoingMessage,
  sender: Profile,
  receiver: Profile,
): NewMessageRow {
  return {
    id: stored.id,
    senderId: message.senderId,
    receiverId: message.receiverId,
    chatConstantId: stored.conversationId,
    groupId: 0,
    message: message.text,
    readStatus: 0,
    messageType: message.messageType,
    deletedId: 0,
    created: message.created,
    updated: message.created,
    senderName: sender.name,
    senderImage: sender.image ?? '',
    recieverImage: receiver.image ?? '',
    recieverName: receiver.name,
  };
}

export function toHistoryRow(
  record: MessageRecord,
  requester: Profile,
  other: Profile,
): HistoryRow {
  // Object.assign, not `{ ...fields, more }`: V8 builds that spread-then-add
  // literal some 50 times slower, and a full history maps 10,000 rows.
  return Object.assign(messageFields(record), {
    recieverName: other.name,
    image: other.image ?? '',
    senderName: requester.name,
    senderImage: requester.image ?? '',
  });
}
