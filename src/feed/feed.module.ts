import { Module } from '@nestjs/common';
import { FeedGateway } from './feed.gateway.js';
import { FeedService } from './feed.service.js';

/** The durable per-user feed: sync, the handshake's since, and pruning. Appends live in feed.sql.ts. */
@Module({ providers: [FeedGateway, FeedService], exports: [FeedService] })
export class FeedModule {}
