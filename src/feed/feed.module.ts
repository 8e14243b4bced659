import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { FeedGateway } from './feed.gateway.js';
import { FeedRepository } from './feed.repository.js';
import { FeedService } from './feed.service.js';

/** The durable per-user feed: sync, the handshake's since, and pruning. Appends live in feed.sql.ts. */
@Module({
  imports: [UsersModule],
  providers: [FeedGateway, FeedService, FeedRepository],
  exports: [FeedService],
})
export class FeedModule {}
