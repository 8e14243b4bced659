/** A conversation as listed for one user, read from SQL. */
export interface ConversationRecord {
  id: number;
  sender_id: number;
  receiver_id: number;
  last_message_id: number | null;
  created: string | number;
  updated: string | number;
  other_id: number;
  other_cleared: boolean;
  other_name: string;
  other_image: string | null;
  last_message: string | null;
  last_message_type: number | null;
  last_message_created: string | number | null;
  unread_count: string | number;
}

/** chat_message rows (contract, "Rows"). */
export interface ConversationRow {
  id: number;
  senderId: number;
  receiverId: number;
  groupId: number;
  lastMessageId: number;
  deletedId: number;
  created: number;
  updated: number;
  user_id: number;
  lastMessage: string;
  userName: string;
  userImage: string;
  created_at: number;
  messageType: number;
  isOnline: number;
  unreadcount: number;
}

export function toConversationRow(record: ConversationRecord, online: boolean): ConversationRow {
  return {
    id: Number(record.id),
    senderId: Number(record.sender_id),
    receiverId: Number(record.receiver_id),
    groupId: 0,
    lastMessageId: Number(record.last_message_id ?? 0),
    // The requester sees this row, so only the other party can have cleared it.
    deletedId: record.other_cleared ? Number(record.other_id) : 0,
    created: Number(record.created),
    updated: Number(record.updated),
    user_id: Number(record.other_id),
    lastMessage: record.last_message ?? '',
    userName: record.other_name,
    userImage: record.other_image ?? '',
    created_at: Number(record.last_message_created ?? record.updated),
    messageType: Number(record.last_message_type ?? 0),
    isOnline: online ? 1 : 0,
    unreadcount: Number(record.unread_count),
  };
}
