import { Logger } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
} from '@nestjs/websockets';
import { BansService } from '../bans/bans.service.js';
import { BindsIdentity } from '../common/acting-user.js';
import { ForbiddenError } from '../errors/domain-errors.js';
import type { Ack as AckFn, ChatServer, ChatSocket } from '../common/chat-socket.js';
import { LegacyBody } from '../common/legacy-body.decorator.js';
import { LegacyGateway } from '../gateway/legacy-gateway.decorator.js';
import { assertTokenUser } from './token-user.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { SocketServer } from '../realtime/socket-server.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { ConnectUserDto } from './dto/connect-user.dto.js';
import { PresenceService } from '../presence/presence.service.js';

@LegacyGateway()
export class PresenceGateway implements OnGatewayInit, OnGatewayDisconnect {
  private readonly logger = new Logger(PresenceGateway.name);

  constructor(
    private readonly presence: PresenceService,
    private readonly notifier: UserNotifier,
    private readonly sockets: SocketServer,
    private readonly metrics: ChatMetrics,
    private readonly bans: BansService,
  ) {}

  afterInit(server: ChatServer): void {
    this.sockets.attach(server);
  }

  handleDisconnect(client: ChatSocket): void {
    if (client.data.userId === undefined) return;
    this.logger.debug(`user ${client.data.userId} socket ${client.id} left`);
    this.presence.unbound(client);
  }

  @SubscribeMessage('connect_user')
  @BindsIdentity()
  async connectUser(
    @LegacyBody() dto: ConnectUserDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    assertTokenUser(client, dto.userId, this.metrics);
    const banned = this.bans.refusal(dto.userId);
    if (banned) throw new ForbiddenError(banned);
    await this.presence.bind(client, dto.userId);
    // Banned while the profile was read: the ban's sweep may have missed this socket.
    const bannedSince = this.bans.refusal(dto.userId);
    if (bannedSince) {
      this.notifier.toSocket(client, 'exception', {
        status: 'error',
        message: bannedSince,
        event: 'connect_user',
      });
      client.disconnect(true);
      return;
    }
    this.notifier.answer(client, ack, 'connect_listener', {
      success_message: 'connected successfully',
      userId: dto.userId,
    });
    this.notifier.announceBound(client);
  }
}
