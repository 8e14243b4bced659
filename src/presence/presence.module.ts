import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { SocketServer } from '../realtime/socket-server.js';
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
      inject: [RedisConnections, AppConfig, SocketServer],
      useFactory: (redis: RedisConnections, config: AppConfig, sockets: SocketServer) =>
        redis.enabled
          ? new RedisPresenceStore(redis, config.presenceTtlMs)
          : new LocalPresenceStore(sockets),
    },
  ],
  exports: [PresenceService, PresenceStore],
})
export class PresenceModule {}
