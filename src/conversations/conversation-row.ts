/**
 * chat_message rows (contract, "Rows"), in the contract's field order. LISTING_SQL
 * writes them (ConversationsService); this type is what their JSON decodes to.
 */
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
