import type { AdminAction } from '../events/admin-action.js';

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    /**
     * POST /admin/console/chat-token minted a token that acts as `userId`
     * (details: expiresAt): an admin speaking as a user, kept in the audit trail.
     */
    'console.chat_token_minted': AdminAction & { userId: number };
  }
}
