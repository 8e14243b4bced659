import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { ModerationGateway } from './moderation.gateway.js';
import { ModerationRepository } from './moderation.repository.js';
import { ModerationService } from './moderation.service.js';

@Module({
  imports: [UsersModule],
  providers: [ModerationGateway, ModerationService, ModerationRepository],
  exports: [ModerationService],
})
export class ModerationModule {}
