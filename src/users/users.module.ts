import { Module } from '@nestjs/common';
import { AdminAuthLimiter } from './admin-auth-limiter.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileSync } from './profile-sync.js';
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
    { provide: ProfileCache, useFactory: () => new ProfileCache() },
  ],
  // The admin guard (and its limiter) serve every admin controller, the console's too.
  exports: [UsersService, ProfileCache, AdminTokenGuard, AdminAuthLimiter],
})
export class UsersModule {}
