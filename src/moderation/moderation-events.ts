import type { AdminAction } from '../events/admin-action.js';
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

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    /** POST /admin/reports/:id/resolve (with "ban", user.banned is published too). */
    'report.resolved': AdminAction & { reportId: number; userId: number };
  }
}
