import { Module } from '@nestjs/common';
import { AdminAuthLimiter } from './admin-auth-limiter.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileSync } from './profile-sync.js';
import { UserDataRegistry } from './user-data-registry.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [UsersController],
  providers: [
    UsersService,
    UsersRepository,
    AdminAuthLimiter,
    AdminTokenGuard,
    ProfileSync,
    UserDataRegistry,
    { provide: ProfileCache, useFactory: () => new ProfileCache() },
  ],
  exports: [
    UsersService,
    ProfileCache,
    ProfileSync,
    UserDataRegistry,
    AdminTokenGuard,
    AdminAuthLimiter,
  ],
})
export class UsersModule {}
