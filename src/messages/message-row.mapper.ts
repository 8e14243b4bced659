import type { Profile } from '../users/users.service.js';
import type { MessageRecord } from './send-batcher.js';

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
  /** Only when the sender gave one (idempotent send, issue 10): legacy rows are unchanged. */
  clientMessageId?: string;
}

/**
 * get_data_message rows: profiles of the request's two parties, the same on
 * every row. HISTORY_SQL writes them (MessagesService).
 */
export interface HistoryRow extends MessageFields {
  recieverName: string;
  image: string;
  senderName: string;
  senderImage: string;
  /** Only on rows stored with one (see NewMessageRow). */
  clientMessageId?: string;
}

/** new_message: a stored message with its sender's and receiver's profiles. */
export function toNewMessageRow(
  record: MessageRecord,
  sender: Profile,
  receiver: Profile,
): NewMessageRow {
  const row: NewMessageRow = {
    id: record.id,
    senderId: record.senderId,
    receiverId: record.receiverId,
    chatConstantId: record.conversationId,
    groupId: 0,
    message: record.text,
    readStatus: record.readStatus,
    messageType: record.messageType,
    deletedId: record.deletedId,
    created: record.created,
    updated: record.updated,
    senderName: sender.name,
    senderImage: sender.image ?? '',
    recieverImage: receiver.image ?? '',
    recieverName: receiver.name,
  };
  if (record.clientMessageId !== null) row.clientMessageId = record.clientMessageId;
  return row;
}
