import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';

/** How long start-up waits for Redis before giving up with a clear error. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The node's two Redis connections when REDIS_URL is set: `commands` (presence,
 * adapter publishes) and `subscriber` (the adapter's pub/sub, which needs a
 * connection of its own). Both reconnect by themselves after a Redis restart.
 * Without REDIS_URL there are none and the server runs as a single node.
 */
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly commands?: Redis;
  readonly subscriber?: Redis;
  /** Counts connection errors, for /metrics. */
  onError: (error: Error) => void = () => undefined;
  private lastError?: Error;

  constructor(
    readonly keyPrefix: string,
    url?: string,
  ) {
    if (!url) return;
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    // Auto-pipelining batches the many small presence writes; never on the
    // subscriber, where ioredis then loses track of (p)unsubscribe replies.
    this.commands = new Redis(url, {
      ...options,
      enableAutoPipelining: true,
      connectionName: 'chat-commands',
    });
    this.subscriber = new Redis(url, { ...options, connectionName: 'chat-subscriber' });
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => {
        this.lastError = error;
        this.logger.warn(`Redis connection error: ${error.message}`);
        this.onError(error);
      });
    }
  }

  get enabled(): boolean {
    return this.commands !== undefined;
  }

  static async connect(config: AppConfig): Promise<RedisConnections> {
    const connections = new RedisConnections(config.redisKeyPrefix, config.redisUrl);
    if (!connections.commands || !connections.subscriber) return connections;
    const clients = [connections.commands, connections.subscriber];
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(clients.map((client) => client.connect())),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
            CONNECT_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      clients.forEach((client) => client.disconnect());
      const cause = connections.lastError ?? error;
      throw new Error(
        `REDIS_URL: could not connect to Redis (${cause instanceof Error ? cause.message : String(cause)})`,
      );
    } finally {
      clearTimeout(timer);
    }
    return connections;
  }

  /** Whether Redis answers a PING within a second; undefined when Redis is not configured. */
  async isUp(): Promise<boolean | undefined> {
    if (!this.commands) return undefined;
    if (this.commands.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const pong = await Promise.race([
        this.commands.ping(),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), 1000);
        }),
      ]);
      return pong === 'PONG';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A key in this deployment's namespace. */
  key(...parts: string[]): string {
    return [this.keyPrefix, ...parts].join(':');
  }

  /** After the socket server closed (the adapter unsubscribes first): pending commands finish, then QUIT. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [this.commands, this.subscriber].map(async (client) => {
        if (!client || client.status === 'end') return;
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
  }
}
