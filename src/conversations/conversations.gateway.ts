import { Ack, ConnectedSocket, SubscribeMessage } from '@nestjs/websockets';
import { ActsAs } from '../common/acting-user.js';
import type { Ack as AckFn, ChatSocket } from '../common/chat-socket.js';
import { LegacyBody } from '../common/legacy-body.decorator.js';
import { LegacyGateway } from '../gateway/legacy-gateway.decorator.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { ConversationsService } from './conversations.service.js';
import { ChatListingDto } from './dto/chat-listing.dto.js';
import { DeleteChatDto } from './dto/delete-chat.dto.js';

@LegacyGateway()
export class ConversationsGateway {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly notifier: UserNotifier,
  ) {}

  @SubscribeMessage('chat_listing')
  @ActsAs('userId')
  async chatListing(
    @LegacyBody() dto: ChatListingDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    this.notifier.answer(client, ack, 'chat_message', await this.conversations.list(dto.userId));
  }

  @SubscribeMessage('delete_chat')
  @ActsAs('senderId')
  async deleteChat(
    @LegacyBody() dto: DeleteChatDto,
    @ConnectedSocket() client: ChatSocket,
    @Ack() ack: AckFn,
  ): Promise<void> {
    const pos = await this.conversations.clear(dto.senderId, dto.receiverId);
    const cleared = { success_message: 'chat cleared successfully' };
    // Only a socket that opted in to the feed learns which conversation (and the pos).
    this.notifier.answer(
      client,
      ack,
      'cleared_chat',
      client.data.feed
        ? { ...cleared, senderId: dto.senderId, receiverId: dto.receiverId, pos }
        : cleared,
    );
  }
}
