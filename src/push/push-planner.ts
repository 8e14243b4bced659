import { Injectable } from '@nestjs/common';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { PresenceService } from '../presence/presence.service.js';
import { PushWorker } from './push.worker.js';

/** Which messages of a batch push, for the send statement's `$2` (push-queue.sql.ts). */
export interface PushPlan {
  /** message key -> senders, as jsonb text. */
  json: string;
  keys: Set<string>;
  /** Set by the caller: how many planned messages the statement stored (not refused). */
  stored: number;
}

/**
 * Decides, before a send batch's statement, which of its messages push: those
 * whose receiver has no bound socket on any node (one presence look-up per
 * batch). Nothing at all, and no look-up, while no sender is configured.
 */
@Injectable()
export class PushPlanner {
  constructor(
    private readonly presence: PresenceService,
    private readonly worker: PushWorker,
    private readonly metrics: ChatMetrics,
  ) {}

  async plan(messages: Array<{ key: string; receiverId: number }>): Promise<PushPlan | null> {
    const senders = this.worker.enabledSenders;
    if (senders.length === 0 || messages.length === 0) return null;
    let online: Set<number>;
    try {
      online = await this.presence.onlineUsers(messages.map((m) => m.receiverId));
    } catch {
      // Presence unknown: a push too many beats a message nobody hears of.
      online = new Set();
    }
    const due: Record<string, string[]> = {};
    const keys = new Set<string>();
    for (const { key, receiverId } of messages) {
      if (online.has(receiverId)) continue;
      due[key] = senders;
      keys.add(key);
    }
    return keys.size === 0 ? null : { json: JSON.stringify(due), keys, stored: 0 };
  }

  /** After the batch committed: count what it queued and wake this node's worker. */
  queued(plan: PushPlan): void {
    if (plan.stored === 0) return;
    for (const sender of this.worker.enabledSenders) {
      this.metrics.pushQueued.inc({ sender }, plan.stored);
    }
    this.worker.wake();
  }
}
