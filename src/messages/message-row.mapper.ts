import type { Profile } from '../users/users.service.js';
import type { OutgoingMessage, StoredMessage } from './send-batcher.js';

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

/**
 * get_data_message rows: profiles of the request's two parties, the same on
 * every row. HISTORY_SQL writes them (MessagesService).
 */
export interface HistoryRow extends MessageFields {
  recieverName: string;
  image: string;
  senderName: string;
  senderImage: string;
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
