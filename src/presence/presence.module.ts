import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { PresenceGateway } from './presence.gateway.js';
import { PresenceService } from './presence.service.js';

@Module({
  imports: [UsersModule],
  providers: [PresenceGateway, PresenceService],
  exports: [PresenceService],
})
export class PresenceModule {}
