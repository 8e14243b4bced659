import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { JsonText } from '../realtime/json-text.js';
import type { SyncDataPayload } from '../realtime/server-events.js';

/**
 * A page of the user's feed after `$2`, and the user's head, read in one
 * snapshot. Postgres writes each entry's JSON: the stored payload with its
 * `pos` spliced in before the closing brace (see FeedEvent.data).
 */
const PAGE_SQL = `
WITH page AS (
  SELECT pos, event, data FROM feed_events
  WHERE user_id = $1 AND pos > $2::bigint
  ORDER BY pos
  LIMIT $3
)
SELECT COALESCE((SELECT last_pos FROM feed_heads WHERE user_id = $1), 0) AS head,
  (SELECT min(pos) FROM page) AS first_pos,
  (SELECT max(pos) FROM page) AS last_pos,
  COALESCE((SELECT string_agg(concat('{"pos":', pos, ',"event":', to_json(event),
      ',"data":', left(data, -1), ',"pos":', pos, '}}'), ',' ORDER BY pos) FROM page), '') AS events_json`;

/** Rows deleted per pruning statement: short statements, short locks. */
const PRUNE_BATCH = 5000;

@Injectable()
export class FeedService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FeedService.name);
  private pruneTimer?: NodeJS.Timeout;
  private pruning?: Promise<number>;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * The user's events after position `since`, at most `limit`. A `since` whose
   * next event is gone (pruned) or that the server never handed out (ahead of
   * the head: another database, a restore) answers `reset`: the client
   * refetches with chat_listing and get_message and continues from `next`.
   */
  async page(userId: number, since: number, limit: number): Promise<JsonText<SyncDataPayload>> {
    const [row]: Array<{
      head: string | number;
      first_pos: string | number | null;
      last_pos: string | number | null;
      events_json: string;
    }> = await this.dataSource.query(PAGE_SQL, [userId, since, limit]);
    const head = Number(row.head);
    const missing = since > head || (since < head && Number(row.first_pos ?? 0) !== since + 1);
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
        const [{ count }]: Array<{ count: number }> = await this.dataSource.query(
          `WITH gone AS (
             DELETE FROM feed_events WHERE (user_id, pos) IN (
               SELECT user_id, pos FROM feed_events WHERE created < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING 1)
           SELECT count(*)::integer AS count FROM gone`,
          [cutoff, PRUNE_BATCH],
        );
        total += Number(count);
        if (Number(count) < PRUNE_BATCH) break;
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
