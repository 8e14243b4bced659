import type { FeedPositions } from '../feed/feed-positions.js';

/** `blockerId` blocked (user.blocked) or unblocked (user.unblocked) `blockedId`; both users are told. */
export interface BlockChanged {
  blockerId: number;
  blockedId: number;
  feed: FeedPositions;
}

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    'user.blocked': BlockChanged;
    'user.unblocked': BlockChanged;
  }
}
