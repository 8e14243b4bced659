import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from './redis-connections.js';

/** Redis when REDIS_URL is set; start-up fails with a clear error if it does not answer. */
@Global()
@Module({
  providers: [
    { provide: RedisConnections, inject: [AppConfig], useFactory: RedisConnections.connect },
  ],
  exports: [RedisConnections],
})
export class RedisModule {}
