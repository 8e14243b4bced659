import { Logger, OnModuleInit } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { BansService } from '../bans/bans.service.js';
import type { ChatServer, ChatSocket } from '../common/chat-socket.js';
import { AppConfig } from '../config/app-config.js';
import { PresenceService } from '../presence/presence.service.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { HandshakeAuthMiddleware } from './handshake-auth.middleware.js';

/** setTimeout's longest delay (about 24.8 days); a later `exp` is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const TOKEN_EXPIRED_MESSAGE = 'token expired; reconnect with a fresh token';

/**
 * Token mode around each socket's life (README "Security"): checks the
 * handshake (HandshakeAuthMiddleware), binds a socket that came with a valid
 * token to its user at connect (as connect_user would: the user's room,
 * online), and when the token expires tells the socket with `exception` and
 * disconnects it. In legacy mode it does nothing.
 */
@WebSocketGateway()
export class TokenAuthGateway
  implements OnModuleInit, OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect
{
  private readonly logger = new Logger('Auth');
  /** One expiry timer per connected socket whose token has `exp`. */
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly config: AppConfig,
    private readonly handshake: HandshakeAuthMiddleware,
    private readonly presence: PresenceService,
    private readonly notifier: UserNotifier,
    private readonly bans: BansService,
  ) {}

  onModuleInit(): void {
    const { mode, keySource, ignored } = this.config.auth;
    if (mode === 'legacy') {
      if (ignored.length > 0) {
        this.logger.warn(
          `AUTH_MODE is legacy (no tokens checked), so ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} ignored`,
        );
      }
      return;
    }
    this.logger.log(
      `AUTH_MODE=${mode}: handshake tokens verified with the key from ${keySource!.variable} (${keySource!.algorithms.join(', ')})`,
    );
  }

  afterInit(server: ChatServer): void {
    if (this.config.auth.mode !== 'legacy') server.use(this.handshake.use);
  }

  handleConnection(client: ChatSocket): void {
    const userId = client.data.tokenUserId;
    if (userId === undefined) return;
    this.scheduleExpiry(client);
    // The middleware has just read the profile, so this finishes before the client's first event is read.
    this.presence.bind(client, userId).then(
      // Banned between the handshake check and the bind: the ban's sweep missed this socket.
      () => {
        const banned = this.bans.refusal(userId);
        if (!banned) return;
        this.notifier.toSocket(client, 'exception', {
          status: 'error',
          message: banned,
          event: 'connect_user',
        });
        client.disconnect(true);
      },
      (error: unknown) => {
        this.logger.error(
          `could not bind socket ${client.id} to user ${userId}: ${error instanceof Error ? error.message : String(error)}`,
        );
        this.notifier.toSocket(client, 'exception', {
          status: 'error',
          message: 'could not connect this socket as its token user; reconnect',
          event: 'connect_user',
        });
        client.disconnect(true);
      },
    );
  }

  handleDisconnect(client: ChatSocket): void {
    const timer = this.expiryTimers.get(client.id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.expiryTimers.delete(client.id);
  }

  /** At `exp` (plus the clock tolerance, as jose counts it), the socket goes. */
  private scheduleExpiry(client: ChatSocket): void {
    const exp = client.data.tokenExpiresAt;
    if (exp === undefined) return; // a token without exp never expires (README "Security")
    const wait = (exp + this.config.auth.clockToleranceS) * 1000 - Date.now();
    const timer = setTimeout(
      () => (wait > MAX_TIMER_MS ? this.scheduleExpiry(client) : this.expire(client)),
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
    timer.unref();
    this.expiryTimers.set(client.id, timer);
  }

  private expire(client: ChatSocket): void {
    this.expiryTimers.delete(client.id);
    if (!client.connected) return;
    this.logger.debug(`socket ${client.id} of user ${client.data.tokenUserId}: token expired`);
    this.notifier.toSocket(client, 'exception', {
      status: 'error',
      message: TOKEN_EXPIRED_MESSAGE,
      event: 'connect_user',
    });
    // Closes the connection after the exception is flushed (Engine.IO drains its buffer first).
    client.disconnect(true);
  }
}
