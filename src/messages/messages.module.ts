import { Module } from '@nestjs/common';
import { PushModule } from '../push/push.module.js';
import { UsersModule } from '../users/users.module.js';
import { MessagesGateway } from './messages.gateway.js';
import { MessagesRepository } from './messages.repository.js';
import { MessagesService } from './messages.service.js';
import { SendBatcher } from './send-batcher.js';

@Module({
  imports: [UsersModule, PushModule],
  providers: [MessagesGateway, MessagesService, MessagesRepository, SendBatcher],
  exports: [MessagesService, SendBatcher],
})
export class MessagesModule {}
