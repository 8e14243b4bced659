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

/**
 * The one mapper of new_message's row (contract, "Rows", in its field order):
 * SQL that Postgres evaluates for message row `m` with its sender `su` and
 * receiver `ru` (users rows). The send statement writes it into both feeds
 * and returns it for the live event; a repeat or a retry reads it the same
 * way, so every new_message comes from here. Every to_json() argument is
 * non-null (users.image is NOT NULL DEFAULT ''): concat() would drop a NULL.
 */
export function newMessageRowSql(m: string, su: string, ru: string): string {
  return `concat(
    '{"id":', ${m}.id, ',"senderId":', ${m}.sender_id, ',"receiverId":', ${m}.receiver_id,
    ',"chatConstantId":', ${m}.chat_constant_id, ',"groupId":0,"message":', to_json(${m}.message),
    ',"readStatus":', ${m}.read_status, ',"messageType":', ${m}.message_type,
    ',"deletedId":', ${m}.deleted_id, ',"created":', ${m}.created, ',"updated":', ${m}.updated,
    ',"senderName":', to_json(${su}.name), ',"senderImage":', to_json(${su}.image),
    ',"recieverImage":', to_json(${ru}.image), ',"recieverName":', to_json(${ru}.name),
    CASE WHEN ${m}.client_message_id IS NOT NULL
      THEN concat(',"clientMessageId":', to_json(${m}.client_message_id)) END,
    '}')`;
}
