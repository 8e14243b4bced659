import type { ExceptionPayload } from '../common/legacy-exception.filter.js';
import type { ConversationRow } from '../conversations/conversation-row.js';
import type { HistoryRow, NewMessageRow } from '../messages/message-row.mapper.js';
import type { JsonText } from './json-text.js';

/** A legacy `{"success_message": "..."}` answer. */
export interface SuccessMessage {
  success_message: string;
}

export interface ReadStatusPayload {
  userId: number;
  user2Id: number;
  readStatus: 1;
}

/**
 * Every event the server sends, with its wire shape (contract, "Events").
 * Field names are the legacy ones, misspellings included.
 */
export interface ServerToClientEvents {
  connect_listener: (payload: { success_message: string; userId: number }) => void;
  new_message: (payload: NewMessageRow | SuccessMessage) => void;
  get_data_message: (payload: JsonText<HistoryRow[]>) => void;
  chat_message: (payload: JsonText<ConversationRow[]>) => void;
  block_data: (payload: { block_data: string; userId: string }) => void;
  cleared_chat: (payload: SuccessMessage) => void;
  report_data: (payload: SuccessMessage) => void;
  read_status: (payload: ReadStatusPayload) => void;
  read_data_status: (payload: { read_status: 1 }) => void;
  exception: (payload: ExceptionPayload) => void;
}

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];
