import { Inject, Injectable, Logger } from '@nestjs/common';
import { BansService } from '../bans/bans.service.js';
import type { ChatSocket } from '../common/chat-socket.js';
import { AppConfig } from '../config/app-config.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { UsersService } from '../users/users.service.js';
import { tokenFromHandshake } from './handshake-token.js';
import { TokenRefusedError } from './token-refusal.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * The Socket.IO middleware of token mode (AUTH_MODE optional or required): it
 * runs before a socket connects, so a refusal is the client's `connect_error`
 * (v2 clients: `error`) with a message saying why, and a refused socket never
 * sends an event. An accepted token's user is remembered on the socket
 * (`data.tokenUserId`), which TokenAuthGateway binds at connect.
 *
 * Tokens are never logged: nothing here logs the handshake.
 */
@Injectable()
export class HandshakeAuthMiddleware {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly config: AppConfig,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    private readonly users: UsersService,
    private readonly metrics: ChatMetrics,
    private readonly bans: BansService,
  ) {}

  /** For `server.use`. */
  readonly use = (socket: ChatSocket, next: (error?: Error) => void): void => {
    this.check(socket).then(
      () => next(),
      (error: unknown) => {
        next(this.refuse(socket, error));
        // Socket.IO sends the refusal on the next tick, and Engine.IO flushes it before closing.
        // Without this a v2 client (whose refusal is only an `error` event) would sit on an open
        // connection that serves nothing, and never retry.
        setImmediate(() => socket.conn.close());
      },
    );
  };

  private async check(socket: ChatSocket): Promise<void> {
    const token = tokenFromHandshake(socket.handshake);
    if (token === undefined) {
      if (this.config.auth.mode === 'required') {
        throw new TokenRefusedError(
          'auth_missing',
          'missing token: this server requires a signed token (auth.token, the token query parameter or an Authorization: Bearer header)',
        );
      }
      return; // optional mode: a legacy socket, bound by connect_user as before
    }
    const { userId, expiresAt } = await this.verifier.verify(token);
    // A bound socket has a profile (its answers carry it), so the user must exist now.
    if (!(await this.users.findProfiles([userId])).has(userId)) {
      throw new TokenRefusedError('auth_unknown_user', `user ${userId} does not exist`);
    }
    const banned = this.bans.refusal(userId);
    if (banned) throw new TokenRefusedError('auth_banned', banned);
    socket.data.tokenUserId = userId;
    socket.data.tokenExpiresAt = expiresAt;
  }

  private refuse(socket: ChatSocket, error: unknown): Error {
    let refusal: TokenRefusedError;
    if (error instanceof TokenRefusedError) {
      refusal = error;
    } else {
      // A server fault (the database did not answer), not the client's.
      this.metrics.errors.inc({ source: 'socket_handshake' });
      this.logger.error(
        `handshake ${socket.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      refusal = new TokenRefusedError(
        'auth_error',
        'internal server error while checking the token; please retry',
      );
    }
    this.metrics.refusals.inc({ reason: refusal.reason });
    this.logger.debug(`handshake ${socket.id} refused (${refusal.reason}): ${refusal.message}`);
    // The message only: Socket.IO v2 clients receive `data` instead of the message when set.
    return new Error(refusal.message);
  }
}
