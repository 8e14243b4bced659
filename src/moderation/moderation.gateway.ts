import { Ack, ConnectedSocket, SubscribeMessage } from '@nestjs/websockets';
import { ActsAs } from '../common/acting-user.js';
import type { Ack as AckFn, ChatSocket } from '../common/chat-socket.js';
import { LegacyBody } from '../common/legacy-body.decorator.js';
import { LegacyGateway } from '../gateway/legacy-gateway.decorator.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { BlockUserDto } from './dto/block-user.dto.js';
import { ReportUserDto } from './dto/report-user.dto.js';
import { ModerationService } from './moderation.service.js';

@LegacyGateway()
export class ModerationGateway {
  constructor(
    private readonly moderation: ModerationService,
    private readonly notifier: UserNotifier,
  ) {}

  @SubscribeMessage('block_user')
  @ActsAs('userId')
  async blockUser(
    @LegacyBody() dto: BlockUserDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    const feed = await this.moderation.setBlock(dto.userId, dto.user2Id, dto.status);
    // block_data reached every socket of both users (SocketDelivery); the ack repeats it.
    const payload = { block_data: String(dto.status), userId: String(dto.userId) };
    this.notifier.acknowledge(ack, this.notifier.forSocket(client, payload, feed.get(dto.userId)));
  }

  @SubscribeMessage('report_user')
  @ActsAs('userId')
  async reportUser(
    @LegacyBody() dto: ReportUserDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    await this.moderation.report(dto.userId, dto.user2Id, dto.comment);
    this.notifier.answer(client, ack, 'report_data', {
      success_message: 'Report Added Successfully',
    });
  }
}
