import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { BansController } from './bans.controller.js';
import { BansRepository } from './bans.repository.js';
import { BansService } from './bans.service.js';

/** Bans: the table, each node's memory of the bans in force, and the admin endpoints. */
@Module({
  imports: [UsersModule],
  controllers: [BansController],
  providers: [BansService, BansRepository],
  exports: [BansService],
})
export class BansModule {}
