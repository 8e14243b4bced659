import { Module } from '@nestjs/common';
import { BansModule } from '../bans/bans.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminUsersController } from './admin-users.controller.js';
import { ErasureService } from './erasure.service.js';

/** The admin API's user page and erasure, over every module's registered user data. */
@Module({
  imports: [UsersModule, PresenceModule, BansModule],
  controllers: [AdminUsersController],
  providers: [ErasureService],
})
export class AdminModule {}
