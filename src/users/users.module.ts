import { Module } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [UsersController],
  providers: [UsersService, AdminTokenGuard],
  exports: [UsersService],
})
export class UsersModule {}
