import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a socket event ended: answered, refused (bad input, rule), or failed (a server fault). */
export type EventOutcome = 'ok' | 'refused' | 'error';

/**
 * Every Prometheus metric of the server, in one registry per app (tests run
 * several apps in one process; the default global registry would clash).
 */
@Injectable()
export class ChatMetrics {
  readonly registry = new Registry();

  /** Read at scrape time from the socket server. */
  private socketCount: () => number = () => 0;

  readonly connectedSockets: Gauge = new Gauge({
    name: 'chat_connected_sockets',
    help: 'Socket.IO connections open on this node',
    registers: [this.registry],
    collect: (): void => this.connectedSockets.set(this.socketCount()),
  });

  readonly events = new Counter({
    name: 'chat_socket_events_total',
    help: 'Socket events handled, by event name and outcome (ok, refused, error)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventDuration = new Histogram({
    name: 'chat_socket_event_duration_seconds',
    help: 'Time from handling start to answer, by event name',
    labelNames: ['event'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly messagesPersisted = new Counter({
    name: 'chat_messages_persisted_total',
    help: 'Chat messages stored (committed) by this node',
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'chat_deliveries_total',
    help: 'Server events sent, by event name: one per addressed user (all their sockets, any node) or socket',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly redisUp = new Gauge({
    name: 'chat_redis_up',
    help: '1 while this node reaches Redis (REDIS_URL set), 0 while it runs degraded without it',
    registers: [this.registry],
  });

  readonly binds = new Counter({
    name: 'chat_binds_total',
    help: 'Sockets bound to a user, by kind: token (identity from a verified JWT) or legacy (connect_user without a token)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly refusals = new Counter({
    name: 'chat_refusals_total',
    help: 'Connections and events refused by the security and flood-control rules, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'chat_errors_total',
    help: 'Faults, by source (socket_handler, redis, unhandled_rejection)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  // --- Push notifications (issue 12), by sender (webhook, fcm).
  readonly pushQueued = new Counter({
    name: 'chat_push_queued_total',
    help: 'Pushes queued by this node (receiver offline on every node), by sender',
    labelNames: ['sender'] as const,
    registers: [this.registry],
  });

  readonly pushSent = new Counter({
    name: 'chat_push_sent_total',
    help: 'Pushes the provider accepted, sent by this node, by sender',
    labelNames: ['sender'] as const,
    registers: [this.registry],
  });

  readonly pushRetried = new Counter({
    name: 'chat_push_retried_total',
    help: 'Push attempts that failed and were scheduled again (timeout, 5xx, 429), by sender',
    labelNames: ['sender'] as const,
    registers: [this.registry],
  });

  readonly pushDeadLettered = new Counter({
    name: 'chat_push_dead_lettered_total',
    help: 'Pushes given up (rejected: a 4xx other than 429; expired: still failing after PUSH_RETRY_FOR_MS), by sender',
    labelNames: ['sender', 'reason'] as const,
    registers: [this.registry],
  });

  readonly pushSkipped = new Counter({
    name: 'chat_push_skipped_total',
    help: 'Pushes with nothing to send to (fcm: the receiver has no device token), by sender',
    labelNames: ['sender'] as const,
    registers: [this.registry],
  });

  readonly pushDevicesRemoved = new Counter({
    name: 'chat_push_devices_removed_total',
    help: 'Device tokens removed because FCM answered UNREGISTERED or INVALID_ARGUMENT',
    registers: [this.registry],
  });

  /** Read at scrape time from the push queue (-1: unknown, the database did not answer). */
  private pushQueueAgeSeconds: () => Promise<number> = () => Promise.resolve(0);

  readonly pushQueueAge: Gauge = new Gauge({
    name: 'chat_push_queue_age_seconds',
    help: 'Age of the oldest push not yet sent nor dead-lettered (0 when none; -1 when the database did not answer)',
    registers: [this.registry],
    collect: async (): Promise<void> => this.pushQueueAge.set(await this.pushQueueAgeSeconds()),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'chat_' });
  }

  countSocketsWith(count: () => number): void {
    this.socketCount = count;
  }

  measurePushQueueWith(age: () => Promise<number>): void {
    this.pushQueueAgeSeconds = age;
  }
}
