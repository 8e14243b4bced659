import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { RedisConnections } from './redis-connections.js';

/** Redis when REDIS_URL is set; a node starts (degraded) even when Redis does not answer. */
@Global()
@Module({
  providers: [
    {
      provide: RedisConnections,
      inject: [AppConfig, ChatMetrics],
      useFactory: async (config: AppConfig, metrics: ChatMetrics) => {
        const connections = await RedisConnections.connect(config, {
          onError: () => metrics.errors.inc({ source: 'redis' }),
          onStateChange: (up) => metrics.redisUp.set(up ? 1 : 0),
        });
        return connections;
      },
    },
  ],
  exports: [RedisConnections],
})
export class RedisModule {}
