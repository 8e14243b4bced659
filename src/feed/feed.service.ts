import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JsonText } from '../realtime/json-text.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { FeedRepository } from './feed.repository.js';
import type { SyncDataPayload } from '../realtime/server-events.js';

/** Rows deleted per pruning statement: short statements, short locks. */
const PRUNE_BATCH = 5000;

@Injectable()
export class FeedService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FeedService.name);
  private pruneTimer?: NodeJS.Timeout;
  private pruning?: Promise<number>;
  private stopping = false;

  constructor(
    private readonly repository: FeedRepository,
    private readonly config: AppConfig,
    private readonly registry: UserDataRegistry,
  ) {}

  onModuleInit(): void {
    // After the tables that name partners (conversations, blocks), before users.
    this.registry.register({
      name: 'feed_events',
      order: 900,
      erase: (manager, userId, scope) =>
        this.repository.eraseUser(manager, userId, [...scope.partners]),
    });
    this.registry.register({
      name: 'feed_heads',
      order: 900,
      erase: (manager, userId) => this.repository.eraseHead(manager, userId),
    });
  }

  /**
   * The user's events after position `since`, at most `limit`. A `since` whose
   * next event is gone (pruned) or that the server never handed out (ahead of
   * the head: another database, a restore) answers `reset`: the client
   * refetches with chat_listing and get_message and continues from `next`.
   */
  async page(userId: number, since: number, limit: number): Promise<JsonText<SyncDataPayload>> {
    const row = await this.repository.page(userId, since, limit);
    const head = Number(row.head);
    // Pruning deletes by age, not by position (and a later position can be a little older), so
    // a hole can be anywhere in the page, not only at its start.
    const holed = row.last_pos !== null && Number(row.last_pos) - since !== Number(row.count);
    const missing =
      since > head || (since < head && Number(row.first_pos ?? 0) !== since + 1) || holed;
    if (missing) {
      return new JsonText(`{"events":[],"next":${head},"hasMore":false,"reset":true}`);
    }
    const next = row.last_pos === null ? since : Number(row.last_pos);
    return new JsonText(`{"events":[${row.events_json}],"next":${next},"hasMore":${next < head}}`);
  }

  onApplicationBootstrap(): void {
    this.pruneTimer = setInterval(() => void this.prune(), this.config.feedPruneIntervalMs);
    this.pruneTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pruneTimer);
    await this.pruning?.catch(() => undefined);
  }

  /**
   * Deletes events older than FEED_RETENTION_DAYS, a batch per statement.
   * Rows another node is deleting are skipped, so nodes pruning at once
   * neither wait for each other nor delete twice. Returns how many it deleted.
   */
  prune(): Promise<number> {
    this.pruning ??= this.pruneBatches().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  private async pruneBatches(): Promise<number> {
    const cutoff = Math.floor(Date.now() / 1000) - this.config.feedRetentionDays * 86_400;
    let total = 0;
    try {
      while (!this.stopping) {
        const count = await this.repository.deleteOlderThan(cutoff, PRUNE_BATCH);
        total += count;
        if (count < PRUNE_BATCH) break;
      }
      if (total > 0)
        this.logger.log(
          `pruned ${total} feed events older than ${this.config.feedRetentionDays} days`,
        );
    } catch (error) {
      // The next run tries again; the feed is only longer meanwhile.
      this.logger.warn(`feed pruning failed: ${String(error)}`);
    }
    return total;
  }
}
