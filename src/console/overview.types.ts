/**
 * GET /admin/overview's answer (NodeOverview), and the console's view of it
 * (web/console/api.ts imports these types): no imports, so the browser
 * bundle's type check can read it.
 */

/** One node's figures, read from the same sources as its /metrics. */
export interface NodeStats {
  id: string;
  /** The node that answered the request. */
  self: boolean;
  /** chat_connected_sockets */
  sockets: number;
  /** Users with at least one socket bound on this node. */
  boundUsers: number;
  /** chat_messages_persisted_total */
  messagesTotal: number;
  /** That counter's rise per second over the last RATE_WINDOW_MS. */
  messagesPerSecond: number;
  uptimeSeconds: number;
  /** chat_redis_up; null without REDIS_URL. */
  redisUp: boolean | null;
  rssBytes: number;
  /** The push queue, when this build has one (its chat_push_* metrics); null otherwise. */
  push: PushStats | null;
}

export interface PushStats {
  /** chat_push_queue_age_seconds: the oldest unsent push (-1: the database did not answer). */
  oldestAgeSeconds: number;
  queued: number;
  sent: number;
  deadLettered: number;
}

export interface Overview {
  at: number;
  /** Several nodes share this deployment through Redis. */
  multiNode: boolean;
  /** This node first, then every other node that answered in time. */
  nodes: NodeStats[];
  totals: { sockets: number; boundUsers: number; messagesPerSecond: number };
  push: PushStats | null;
}
