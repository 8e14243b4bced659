import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { pushSenders, type PushConfig, type PushSenderKind } from '../config/push-config.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { FcmSender } from './fcm.sender.js';
import { PushRepository, type LeasedPush } from './push.repository.js';
import type { PushSender, SendOutcome } from './push-sender.js';
import { WebhookSender } from './webhook.sender.js';

/** How often each node deletes old dead letters (PUSH_DEAD_LETTER_DAYS). */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Works the push queue on every node: leases due pushes (SKIP LOCKED, so no
 * two nodes hold one), sends them, then deletes, reschedules or dead-letters
 * each. Polls every PUSH_POLL_MS, and at once when this node queued a push.
 *
 * A plain table and SKIP LOCKED rather than pg-boss or graphile-worker: both
 * need a real Postgres server (LISTEN/NOTIFY, their own schema and
 * background maintenance), which the embedded PGlite database is not; the
 * queue must also be written by the send statement itself, in its
 * transaction, which a job library's API cannot join.
 */
@Injectable()
export class PushWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Push');
  private readonly config: PushConfig;
  private readonly senders = new Map<PushSenderKind, PushSender>();
  private readonly kinds: PushSenderKind[];
  private timer?: NodeJS.Timeout;
  private passing?: Promise<void>;
  private wakeAgain = false;
  private stopping = false;
  private readonly shutdown = new AbortController();
  /** performance.now() of the last pruning of dead letters. */
  private prunedAt = -Infinity;
  /** The database failed the last pass: said once, until it answers again. */
  private databaseDown = false;

  constructor(
    appConfig: AppConfig,
    private readonly repository: PushRepository,
    private readonly metrics: ChatMetrics,
  ) {
    this.config = appConfig.push;
    this.kinds = pushSenders(this.config);
    const { webhook, fcm, timeoutMs } = this.config;
    if (webhook) {
      this.senders.set('webhook', new WebhookSender(webhook.url, webhook.secret, timeoutMs));
    }
    if (fcm) {
      this.senders.set(
        'fcm',
        new FcmSender(fcm.account, fcm.endpoint, timeoutMs, async (tokens) => {
          await this.repository.removeTokens(tokens);
          this.metrics.pushDevicesRemoved.inc(tokens.length);
        }),
      );
    }
    // With push off the queue is empty: /metrics does not ask the database.
    if (this.kinds.length > 0) {
      metrics.measurePushQueueWith(() => this.repository.queueAgeSeconds().catch(() => -1));
    }
  }

  /** The senders this node sends with (empty: push is off, nothing is queued). */
  get enabledSenders(): PushSenderKind[] {
    return this.kinds;
  }

  onApplicationBootstrap(): void {
    if (this.kinds.length === 0) return;
    this.logger.log(`push notifications on, through ${this.kinds.join(' and ')}`);
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.shutdown.abort();
    await this.passing;
  }

  /** This node just queued pushes: look now rather than at the next poll. */
  wake(): void {
    if (this.stopping || this.kinds.length === 0) return;
    if (this.passing) {
      this.wakeAgain = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.passing = this.pass().finally(() => (this.passing = undefined));
    }, ms);
    this.timer.unref();
  }

  /** One lease and its sends; schedules the next pass. */
  private async pass(): Promise<void> {
    let next = this.config.pollMs;
    let leased: LeasedPush[] = [];
    try {
      leased = await this.repository.lease(this.kinds, this.config.batchSize, this.config.leaseMs);
      if (this.databaseDown) {
        this.databaseDown = false;
        this.logger.log('push queue: the database answers again');
      }
    } catch (error) {
      if (!this.databaseDown) {
        this.databaseDown = true;
        this.logger.warn(
          `push queue: cannot reach the database (${String(error)}); retrying every ${this.config.pollMs} ms, quietly`,
        );
      }
    }
    const done = (await Promise.all(leased.map((push) => this.deliver(push)))).filter(
      (entry): entry is { push: LeasedPush; kind: 'sent' | 'skipped' } => entry !== undefined,
    );
    if (done.length > 0) {
      try {
        await this.repository.delivered(done.map(({ push }) => push));
        for (const { push, kind } of done) {
          (kind === 'sent' ? this.metrics.pushSent : this.metrics.pushSkipped).inc({
            sender: push.sender,
          });
        }
      } catch (error) {
        // Their leases run out and they are sent again (at least once): the receiving end dedupes.
        this.logger.warn(`could not record ${done.length} pushes as sent (${String(error)})`);
      }
    }
    if (!this.databaseDown && performance.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = performance.now();
      await this.repository.pruneDeadLetters(this.config.deadLetterDays).catch(() => 0);
    }
    // A full batch: more may be due.
    if (leased.length === this.config.batchSize) next = 0;
    if (this.stopping) return;
    if (this.wakeAgain) {
      this.wakeAgain = false;
      next = 0;
    }
    this.schedule(next);
  }

  /** Sends one push and records a failure; a success is returned, for one delete per pass. */
  private async deliver(
    push: LeasedPush,
  ): Promise<{ push: LeasedPush; kind: 'sent' | 'skipped' } | undefined> {
    let outcome: SendOutcome;
    try {
      outcome = await this.senders.get(push.sender)!.send(push, this.shutdown.signal);
    } catch (error) {
      outcome = { kind: 'retry', error: String(error) };
    }
    if (outcome.kind === 'sent' || outcome.kind === 'skipped') return { push, kind: outcome.kind };
    if (this.stopping && outcome.kind === 'retry') {
      // Cut short by shutdown: due again at once, for any node.
      await this.repository.release(push).catch(() => undefined);
      return;
    }
    try {
      await this.finish(push, outcome);
    } catch (error) {
      // The lease runs out and the push is tried again (at least once): the receiving end dedupes.
      if (!this.databaseDown) {
        this.logger.warn(
          `push ${push.deliveryId}: could not record its outcome (${String(error)})`,
        );
      }
    }
  }

  private async finish(
    push: LeasedPush,
    outcome: Exclude<SendOutcome, { kind: 'sent' | 'skipped' }>,
  ): Promise<void> {
    const sender = push.sender;
    switch (outcome.kind) {
      case 'rejected':
        await this.repository.deadLetter(push, outcome.error);
        this.metrics.pushDeadLettered.inc({ sender, reason: 'rejected' });
        this.logger.warn(`push ${push.deliveryId} (${sender}) refused: ${outcome.error}`);
        return;
      case 'retry': {
        const dead = await this.repository.retryLater(
          push,
          this.backoffMs(push.attempts, outcome.retryAfterMs),
          this.config.retryForMs,
          outcome.error,
          outcome.doneTargets ?? push.doneTargets,
        );
        if (dead) {
          this.metrics.pushDeadLettered.inc({ sender, reason: 'expired' });
          this.logger.warn(
            `push ${push.deliveryId} (${sender}) given up after ${push.attempts} attempts: ${outcome.error}`,
          );
        } else {
          this.metrics.pushRetried.inc({ sender });
        }
        return;
      }
    }
  }

  /** Exponential backoff with jitter (half to all of the step), never sooner than Retry-After. */
  private backoffMs(attempts: number, retryAfter?: number): number {
    const { retryBaseMs, retryMaxMs } = this.config;
    const step = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(30, attempts - 1));
    const jittered = step / 2 + Math.random() * (step / 2);
    return Math.max(jittered, retryAfter ?? 0);
  }
}
