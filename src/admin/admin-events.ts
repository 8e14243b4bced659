import type { AdminAction } from '../events/admin-action.js';

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    /** DELETE /admin/users/:id: details.removed counts the rows removed, by table. */
    'user.erased': AdminAction & { userId: number };
  }
}
