import { Ack, ConnectedSocket, OnGatewayConnection, SubscribeMessage } from '@nestjs/websockets';
import { ActsAs } from '../common/acting-user.js';
import type { Ack as AckFn, ChatSocket } from '../common/chat-socket.js';
import { LegacyBody } from '../common/legacy-body.decorator.js';
import { LegacyGateway } from '../gateway/legacy-gateway.decorator.js';
import { feedRoom, UserNotifier } from '../realtime/user-notifier.js';
import { parsePosition, SYNC_PAGE_DEFAULT, SyncDto } from './dto/sync.dto.js';
import { FeedService } from './feed.service.js';

@LegacyGateway()
export class FeedGateway implements OnGatewayConnection {
  constructor(
    private readonly feed: FeedService,
    private readonly notifier: UserNotifier,
  ) {
    notifier.onBound((client) => void this.pushFirstPage(client));
  }

  /** `since` in the handshake (auth.since from v4 clients, query since from v2): kept for connect_user. */
  handleConnection(client: ChatSocket): void {
    const auth = client.handshake.auth as Record<string, unknown> | undefined;
    const since = auth?.since ?? client.handshake.query?.since;
    if (since === undefined) return;
    client.data.handshakeSince = since;
    // Opted in from now on: a token socket is bound (in its user's room) before connect_user.
    if (parsePosition(since) !== undefined) {
      client.data.feed = true;
      if (client.data.userId !== undefined) void client.join(feedRoom(client.data.userId));
    }
  }

  @SubscribeMessage('sync')
  @ActsAs('userId')
  async sync(
    @LegacyBody() dto: SyncDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    // Before reading: an event committed from now on reaches this socket live with its pos.
    this.notifier.joinFeed(client);
    const page = await this.feed.page(dto.userId, dto.since, dto.limit ?? SYNC_PAGE_DEFAULT);
    this.notifier.answer(client, ack, 'sync_data', page);
  }

  /**
   * After the first connect_user of a socket that connected with `since`:
   * its first sync_data page, right after connect_listener. An event that
   * happens meanwhile may reach it both live and in the page (same `pos`).
   */
  private async pushFirstPage(client: ChatSocket): Promise<void> {
    const raw = client.data.handshakeSince;
    const userId = client.data.userId;
    if (raw === undefined || userId === undefined) return;
    client.data.handshakeSince = undefined;
    const since = parsePosition(raw);
    if (since === undefined) {
      this.notifier.toSocket(client, 'exception', {
        status: 'error',
        message:
          'since (handshake) must be a feed position: a whole number from 0; no sync_data sent',
        event: 'sync',
      });
      return;
    }
    this.notifier.joinFeed(client);
    try {
      this.notifier.toSocket(
        client,
        'sync_data',
        await this.feed.page(userId, since, SYNC_PAGE_DEFAULT),
      );
    } catch (error) {
      this.notifier.toSocket(client, 'exception', {
        status: 'error',
        message: `could not read the feed (${error instanceof Error ? error.message : String(error)}); send sync`,
        event: 'sync',
      });
    }
  }
}
