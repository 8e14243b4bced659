import type { AdminAction } from '../events/admin-action.js';

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    /** PUT /admin/users/:id created or replaced a profile. */
    'user.profile_saved': AdminAction & { userId: number };
  }
}
