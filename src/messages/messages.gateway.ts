import { Ack, ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { ActsAs } from '../common/acting-user.js';
import type { Ack as AckFn, ChatSocket } from '../common/chat-socket.js';
import { LegacyBody } from '../common/legacy-body.decorator.js';
import { LegacyGateway } from '../gateway/legacy-gateway.decorator.js';
import type { ReadStatusPayload } from '../realtime/server-events.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { SocketTurns } from '../realtime/socket-turns.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { GetMessagesDto } from './dto/get-messages.dto.js';
import { ReadUnreadDto } from './dto/read-unread.dto.js';
import type { SendMessageDto } from './dto/send-message.dto.js';
import { MessagesService } from './messages.service.js';
import { SendMessagePipe } from './send-message.pipe.js';

@LegacyGateway()
export class MessagesGateway {
  constructor(
    private readonly messages: MessagesService,
    private readonly notifier: UserNotifier,
    private readonly metrics: ChatMetrics,
    private readonly turns: SocketTurns,
  ) {}

  @SubscribeMessage('send_message')
  @ActsAs('senderId')
  async sendMessage(
    @MessageBody(SendMessagePipe) dto: SendMessageDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    const result = await this.messages.send(
      dto.senderId,
      dto.receiverId,
      dto.messageType,
      dto.message,
      dto.clientMessageId ?? undefined,
      // Once queued, the socket's next send_message may join the same batch (stored ones are answered in order).
      () => this.turns.handOn(client),
    );
    if (!result.stored) {
      this.notifier.answer(client, ack, 'new_message', { success_message: result.refusal });
      return;
    }
    if (result.repeat) {
      // A resend of a stored message (same clientMessageId): everyone else has it already.
      this.notifier.answer(client, ack, 'new_message', result.row);
      return;
    }
    this.metrics.messagesPersisted.inc();
    // Every socket of both users, the calling one included, got the row (SocketDelivery).
    this.notifier.acknowledge(
      ack,
      this.notifier.forSocket(client, result.row, result.feed.get(dto.senderId)),
    );
  }

  @SubscribeMessage('get_message')
  @ActsAs('senderId')
  async getMessages(
    @LegacyBody() dto: GetMessagesDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    const { rows } = await this.messages.history(
      dto.senderId,
      dto.receiverId,
      dto.limit,
      dto.beforeId,
    );
    this.notifier.answer(client, ack, 'get_data_message', rows);
  }

  @SubscribeMessage('read_unread')
  @ActsAs('userId')
  async readUnread(
    @LegacyBody() dto: ReadUnreadDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    const { feed } = await this.messages.markRead(dto.userId, dto.user2Id);
    // read_status reached every socket of both users (SocketDelivery); the caller also gets:
    this.notifier.toSocket(client, 'read_data_status', { read_status: 1 });
    this.notifier.acknowledge(
      ack,
      this.notifier.forSocket(client, readStatus(dto.userId, dto.user2Id), feed.get(dto.userId)),
    );
  }
}

function readStatus(readerId: number, otherId: number): ReadStatusPayload {
  return { userId: readerId, user2Id: otherId, readStatus: 1 };
}
