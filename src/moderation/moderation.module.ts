import { Module } from '@nestjs/common';
import { BansModule } from '../bans/bans.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminReportsController } from './admin-reports.controller.js';
import { ModerationGateway } from './moderation.gateway.js';
import { ModerationRepository } from './moderation.repository.js';
import { ModerationService } from './moderation.service.js';

@Module({
  imports: [UsersModule, BansModule],
  controllers: [AdminReportsController],
  providers: [ModerationGateway, ModerationService, ModerationRepository],
  exports: [ModerationService],
})
export class ModerationModule {}
