import type { AdminAction } from '../events/admin-action.js';

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    /** PUT /admin/users/:id/ban, or a report resolved with "ban". */
    'user.banned': AdminAction & { userId: number };
    /** DELETE /admin/users/:id/ban. */
    'user.unbanned': AdminAction & { userId: number };
  }
}
