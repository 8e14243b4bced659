import type { ChatSocket } from '../common/chat-socket.js';
import { ForbiddenError } from '../errors/domain-errors.js';
import type { ChatMetrics } from '../metrics/chat-metrics.js';

/**
 * connect_user on a socket that came with a token must name the token's user
 * (contract, "Extensions"): apps keep calling it, and get connect_listener as
 * before; another user is refused, counted as `auth_wrong_user`, and nothing
 * changes. Sockets without a token are not concerned.
 */
export function assertTokenUser(client: ChatSocket, userId: number, metrics: ChatMetrics): void {
  const tokenUserId = client.data.tokenUserId;
  if (tokenUserId === undefined || tokenUserId === userId) return;
  metrics.refusals.inc({ reason: 'auth_wrong_user' });
  throw new ForbiddenError(
    `this connection's token is for user ${tokenUserId}; connect_user must name that user`,
  );
}
