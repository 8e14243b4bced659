import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Metric } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { NodeBus } from '../realtime/node-bus.js';
import { SocketServer } from '../realtime/socket-server.js';
import type { NodeStats, Overview, PushStats } from './overview.types.js';

export type { NodeStats, Overview, PushStats };

const ASK_EVENT = 'console:node-stats';
const SAMPLE_EVERY_MS = 1000;
const RATE_WINDOW_MS = 10_000;

/**
 * GET /admin/overview: this node's figures plus every other node's, asked
 * through the node bus. Messages/s is the persisted-messages counter sampled
 * every second, over a sliding 10 s window.
 */
@Injectable()
export class NodeOverview implements OnModuleInit, OnModuleDestroy {
  readonly nodeId = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  private readonly samples: Array<{ at: number; total: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: ChatMetrics,
    private readonly sockets: SocketServer,
    private readonly bus: NodeBus,
  ) {}

  onModuleInit(): void {
    this.bus.onNodeRequest(ASK_EVENT, () => this.local(false));
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async overview(): Promise<Overview> {
    const [self, others] = await Promise.all([
      this.local(true),
      this.bus.askOtherNodes(ASK_EVENT, null),
    ]);
    const nodes = [self, ...others.filter(isNodeStats).sort((a, b) => a.id.localeCompare(b.id))];
    const sum = (pick: (node: NodeStats) => number) =>
      nodes.reduce((total, node) => total + pick(node), 0);
    return {
      at: Math.floor(Date.now() / 1000),
      multiNode: this.config.redisUrl !== undefined,
      nodes,
      totals: {
        sockets: sum((node) => node.sockets),
        boundUsers: sum((node) => node.boundUsers),
        messagesPerSecond: round(sum((node) => node.messagesPerSecond)),
      },
      // One queue in the shared database: every node sees the same age; counts add up.
      push: self.push && {
        oldestAgeSeconds: self.push.oldestAgeSeconds,
        queued: sum((node) => node.push?.queued ?? 0),
        sent: sum((node) => node.push?.sent ?? 0),
        deadLettered: sum((node) => node.push?.deadLettered ?? 0),
      },
    };
  }

  private async local(self: boolean): Promise<NodeStats> {
    const sockets = this.sockets.localSockets();
    const bound = new Set<number>();
    for (const socket of sockets) {
      const userId = socket.data.userId;
      if (typeof userId === 'number') bound.add(userId);
    }
    await this.sample();
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return {
      id: this.nodeId,
      self,
      sockets: sockets.length,
      boundUsers: bound.size,
      messagesTotal: last.total,
      messagesPerSecond: seconds > 0 ? round((last.total - first.total) / seconds) : 0,
      uptimeSeconds: Math.round(process.uptime()),
      redisUp:
        this.config.redisUrl === undefined ? null : (await total(this.metrics.redisUp)) === 1,
      rssBytes: process.memoryUsage.rss(),
      push: await this.pushStats(),
    };
  }

  private async sample(): Promise<void> {
    const now = Date.now();
    this.samples.push({ at: now, total: await total(this.metrics.messagesPersisted) });
    while (this.samples.length > 2 && now - this.samples[1].at >= RATE_WINDOW_MS) {
      this.samples.shift();
    }
  }

  /** Read by name: the push feature registers these metrics when it is built in. */
  private async pushStats(): Promise<PushStats | null> {
    const registry = this.metrics.registry;
    const age = registry.getSingleMetric('chat_push_queue_age_seconds');
    if (!age) return null;
    const count = async (name: string) => {
      const metric = registry.getSingleMetric(name);
      return metric ? total(metric) : 0;
    };
    return {
      oldestAgeSeconds: await total(age),
      queued: await count('chat_push_queued_total'),
      sent: await count('chat_push_sent_total'),
      deadLettered: await count('chat_push_dead_lettered_total'),
    };
  }
}

/** A metric's value summed over its labels. */
async function total(metric: Metric): Promise<number> {
  const { values } = await metric.get();
  return values.reduce((sum, { value }) => sum + value, 0);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function isNodeStats(value: unknown): value is NodeStats {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeStats).id === 'string' &&
    typeof (value as NodeStats).sockets === 'number'
  );
}
