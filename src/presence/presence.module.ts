import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { UsersModule } from '../users/users.module.js';
import { PresenceService } from './presence.service.js';
import { LocalPresenceStore } from './local-presence.store.js';
import { PresenceStore } from './presence-store.js';
import { RedisPresenceStore } from './redis-presence.store.js';

@Module({
  imports: [UsersModule],
  providers: [
    PresenceService,
    {
      provide: PresenceStore,
      inject: [RedisConnections, AppConfig, UserNotifier],
      useFactory: (redis: RedisConnections, config: AppConfig, notifier: UserNotifier) =>
        redis.enabled
          ? new RedisPresenceStore(redis, config.presenceTtlMs)
          : new LocalPresenceStore(notifier),
    },
  ],
  exports: [PresenceService, PresenceStore],
})
export class PresenceModule {}
