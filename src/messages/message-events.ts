import type { FeedPositions } from '../feed/feed-positions.js';
import type { NewMessageRow } from './message-row.mapper.js';

/** A message was stored (not a repeat, not refused): both users get it. */
export interface MessageStored {
  row: NewMessageRow;
  /** Positions in the sender's and the receiver's feeds (empty for a message stored before the feed existed). */
  feed: FeedPositions;
}

/** `readerId` read `otherId`'s messages (read_unread, or a get_message that marked some). */
export interface MessagesRead {
  readerId: number;
  otherId: number;
  feed: FeedPositions;
}

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    'message.stored': MessageStored;
    'messages.read': MessagesRead;
  }
}
