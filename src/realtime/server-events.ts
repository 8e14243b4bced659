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
 * Durable feed (issue 11): sockets that opted in (sent `sync`, or connected
 * with `since`) get their position on each feed event; legacy sockets never do.
 */
export type WithFeedPosition<T> = T & { pos?: number };

/** cleared_chat; a socket that opted in to the feed also learns which conversation. */
export interface ClearedChatPayload extends SuccessMessage {
  senderId?: number;
  receiverId?: number;
  pos?: number;
}

/** One feed entry of sync_data: `data` is the live event's payload (with its `pos`). */
export interface FeedEntry {
  pos: number;
  event: 'new_message' | 'read_status' | 'block_data' | 'cleared_chat';
  data: Record<string, unknown>;
}

/** device_registered: the device now registered for the user. */
export interface DeviceRegisteredPayload {
  userId: number;
  token: string;
  platform: 'android' | 'ios' | 'web';
}

/** sync's answer; `reset` only when the client must refetch (its position is gone or unknown). */
export interface SyncDataPayload {
  events: FeedEntry[];
  next: number;
  hasMore: boolean;
  reset?: true;
}

/**
 * Every event the server sends, with its wire shape (contract, "Events").
 * Field names are the legacy ones, misspellings included.
 */
export interface ServerToClientEvents {
  connect_listener: (payload: { success_message: string; userId: number }) => void;
  new_message: (payload: WithFeedPosition<NewMessageRow> | SuccessMessage) => void;
  get_data_message: (payload: JsonText<HistoryRow[]>) => void;
  chat_message: (payload: JsonText<ConversationRow[]>) => void;
  block_data: (payload: WithFeedPosition<{ block_data: string; userId: string }>) => void;
  cleared_chat: (payload: ClearedChatPayload) => void;
  report_data: (payload: SuccessMessage) => void;
  read_status: (payload: WithFeedPosition<ReadStatusPayload>) => void;
  read_data_status: (payload: { read_status: 1 }) => void;
  exception: (payload: ExceptionPayload) => void;
  sync_data: (payload: SyncDataPayload | JsonText<SyncDataPayload>) => void;
  /** register_device's answer (push notifications extension). */
  device_registered: (payload: DeviceRegisteredPayload) => void;
}

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];
