import { Ack, ConnectedSocket, SubscribeMessage } from '@nestjs/websockets';
import { ActsAs } from '../common/acting-user.js';
import type { Ack as AckFn, ChatSocket } from '../common/chat-socket.js';
import { LegacyBody } from '../common/legacy-body.decorator.js';
import { LegacyGateway } from '../gateway/legacy-gateway.decorator.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { RegisterDeviceDto } from './dto/device.dto.js';
import { PushDevicesService } from './push-devices.service.js';

@LegacyGateway()
export class PushGateway {
  constructor(
    private readonly devices: PushDevicesService,
    private readonly notifier: UserNotifier,
  ) {}

  /** An app registers its FCM token for the connected user (extension, not in the legacy apps). */
  @SubscribeMessage('register_device')
  @ActsAs('userId')
  async registerDevice(
    @LegacyBody() dto: RegisterDeviceDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    await this.devices.register(dto.userId, { token: dto.token, platform: dto.platform });
    this.notifier.answer(client, ack, 'device_registered', {
      userId: dto.userId,
      token: dto.token,
      platform: dto.platform,
    });
  }
}
