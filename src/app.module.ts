import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminModule } from './admin/admin.module.js';
import { AppConfig } from './config/app-config.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BansModule } from './bans/bans.module.js';
import { ConfigModule } from './config/config.module.js';
import { ConsoleModule } from './console/console.module.js';
import { ConversationsModule } from './conversations/conversations.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DeliveryModule } from './delivery/delivery.module.js';
import { DomainErrorHttpFilter } from './errors/domain-error-http.filter.js';
import { EventsModule } from './events/events.module.js';
import { FeedModule } from './feed/feed.module.js';
import { FloodControlModule } from './flood-control/flood-control.module.js';
import { HealthModule } from './health/health.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ModerationModule } from './moderation/moderation.module.js';
import { PresenceModule } from './presence/presence.module.js';
import { PushModule } from './push/push.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { RedisModule } from './redis/redis.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule,
        RedisModule,
        MetricsModule,
        RealtimeModule,
        EventsModule,
        LifecycleModule,
        FloodControlModule,
        UsersModule,
        PresenceModule,
        BansModule,
        AuthModule,
        MessagesModule,
        ConversationsModule,
        ModerationModule,
        FeedModule,
        PushModule,
        DeliveryModule,
        AdminModule,
        AuditModule,
        HealthModule,
        ConsoleModule,
      ],
      // Services' DomainErrors on the HTTP API; the socket side has LegacyExceptionFilter.
      providers: [{ provide: APP_FILTER, useClass: DomainErrorHttpFilter }],
    };
  }
}
