import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { MessagesGateway } from './messages.gateway.js';
import { MessagesRepository } from './messages.repository.js';
import { MessagesService } from './messages.service.js';
import { SendBatcher } from './send-batcher.js';

@Module({
  imports: [UsersModule],
  providers: [MessagesGateway, MessagesService, MessagesRepository, SendBatcher],
  exports: [MessagesService, SendBatcher],
})
export class MessagesModule {}
