import { ForbiddenError } from '../errors/domain-errors.js';
import type { ChatSocket } from './chat-socket.js';

/**
 * A socket may act only as the user it was bound to by connect_user
 * (contract, "Identity"). Throws the contract's refusal otherwise.
 */
export function assertActingUser(client: ChatSocket, claimedUserId: number, field: string): void {
  const boundUserId = client.data.userId;
  if (boundUserId === undefined) {
    throw new ForbiddenError('this socket is not connected as a user yet: emit connect_user first');
  }
  if (boundUserId !== claimedUserId) {
    throw new ForbiddenError(
      `${field} must be the user this socket is connected as (${boundUserId})`,
    );
  }
}
