import { Module } from '@nestjs/common';
import { PresenceModule } from '../presence/presence.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConversationsGateway } from './conversations.gateway.js';
import { ConversationsRepository } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';

@Module({
  imports: [UsersModule, PresenceModule],
  providers: [ConversationsGateway, ConversationsService, ConversationsRepository],
})
export class ConversationsModule {}
