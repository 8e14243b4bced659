import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';

/** How long start-up waits for Redis before starting degraded. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect backoff: 50 ms, 100 ms, ... up to this, forever. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/**
 * Longest a command on `commands` waits for its reply: then it fails with
 * "Command timed out" and its caller answers as if Redis were down. A frozen
 * Redis (a paused process, a black-holed link: TCP open, nothing answers) made
 * every caller wait forever.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/**
 * With replies outstanding and nothing received for this long, `commands`
 * drops its connection and reconnects: the node is then degraded (commands
 * fail at once, presence from this node) until Redis answers again, as in an
 * outage, instead of paying the command timeout on every request.
 */
export const REDIS_SOCKET_TIMEOUT_MS = 3_000;

/** Told of every Redis error and of each outage's start and end (for /metrics). */
export interface RedisObserver {
  onError?(error: Error): void;
  onStateChange?(up: boolean): void;
}

/**
 * The node's two Redis connections when REDIS_URL is set: `commands` (presence,
 * rate limits, adapter publishes) and `subscriber` (the adapter's pub/sub, which
 * needs a connection of its own). Without REDIS_URL there are none and the
 * server runs as a single node.
 *
 * Redis is optional at run time: a node starts, and keeps serving its own
 * sockets, while Redis is down (degraded: no cross-node delivery, presence from
 * this node only); both connections reconnect by themselves, forever, and
 * `onReconnect` listeners resync what the outage may have left stale. Commands
 * fail at once while Redis is unreachable instead of queueing (callers fall back
 * to local answers); the subscriber queues its subscriptions until it connects.
 */
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly commands?: Redis;
  readonly subscriber?: Redis;
  /** The adapter's publishing client: `commands`, except that a failed publish never throws. */
  readonly publisher?: Redis;
  private readonly reconnectListeners: Array<() => void> = [];
  private lastError?: Error;
  /** Whether `commands` has been ready before: its next `ready` ends an outage. */
  private wasReady = false;
  private down = false;
  private closing = false;

  constructor(
    readonly keyPrefix: string,
    url?: string,
    private readonly observer: RedisObserver = {},
  ) {
    if (!url) return;
    const options = {
      lazyConnect: true,
      retryStrategy: (times: number) => Math.min(times * 50, MAX_RECONNECT_DELAY_MS),
    };
    // Auto-pipelining batches the many small presence writes; never on the
    // subscriber, where ioredis then loses track of (p)unsubscribe replies.
    this.commands = new Redis(url, {
      ...options,
      enableAutoPipelining: true,
      // Fail at once while disconnected: callers answer from this node instead of
      // waiting, and nothing piles up in memory during an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      socketTimeout: REDIS_SOCKET_TIMEOUT_MS,
      connectionName: 'chat-commands',
    });
    this.subscriber = new Redis(url, {
      ...options,
      // The adapter subscribes once, at start-up; that must wait for Redis however
      // long it takes. ioredis resubscribes by itself after every reconnect.
      // No command or socket timeout: a subscriber is silent by design.
      maxRetriesPerRequest: null,
      connectionName: 'chat-subscriber',
    });
    this.publisher = neverThrowingPublisher(this.commands, (error) => this.failed(error));
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => this.failed(error));
    }
    this.commands.on('ready', () => this.ready());
    this.commands.on('close', () => this.lost());
  }

  get enabled(): boolean {
    return this.commands !== undefined;
  }

  /** Whether commands can reach Redis now (false while it is down or not configured). */
  get isReady(): boolean {
    return this.commands?.status === 'ready';
  }

  /**
   * Connects both clients. A Redis that does not answer within a few seconds
   * does not stop the node: it starts degraded and the clients keep retrying.
   */
  static async connect(
    config: Pick<AppConfig, 'redisKeyPrefix' | 'redisUrl'>,
    observer: RedisObserver = {},
  ): Promise<RedisConnections> {
    const connections = new RedisConnections(config.redisKeyPrefix, config.redisUrl, observer);
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
      const cause = connections.lastError ?? error;
      connections.logger.warn(
        `REDIS_URL: Redis does not answer (${cause instanceof Error ? cause.message : String(cause)}); ` +
          'starting degraded: this node serves its own sockets, cross-node delivery and shared ' +
          'presence start when Redis answers',
      );
      connections.lost();
    } finally {
      clearTimeout(timer);
    }
    return connections;
  }

  /** Runs `listener` each time Redis answers again after an outage (not at the first connect). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
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
    this.closing = true;
    await Promise.all(
      [this.commands, this.subscriber].map(async (client) => {
        if (!client || client.status === 'end') return;
        if (client.status !== 'ready') {
          client.disconnect();
          return;
        }
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
  }

  private failed(error: unknown): void {
    this.lastError = error instanceof Error ? error : new Error(String(error));
    this.observer.onError?.(this.lastError);
    // While Redis is down every retry fails: say so once, at the start of the outage.
    if (!this.down) this.logger.warn(`Redis error: ${this.lastError.message}`);
  }

  private lost(): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.observer.onStateChange?.(false);
    this.logger.warn(
      'Redis is unreachable: degraded until it answers (this node keeps storing and delivering to its own sockets; ' +
        'cross-node delivery and shared presence are paused)',
    );
  }

  private ready(): void {
    const outageEnded = this.wasReady || this.down;
    this.wasReady = true;
    if (this.down) {
      this.down = false;
      this.logger.log('Redis answers again: cross-node delivery and shared presence resume');
    }
    this.observer.onStateChange?.(true);
    if (!outageEnded) return;
    for (const listener of this.reconnectListeners) {
      try {
        listener();
      } catch (error) {
        this.logger.error(`after reconnecting to Redis: ${String(error)}`);
      }
    }
  }
}

/**
 * The client as the Socket.IO Redis adapter sees it, except `publish`: skipped
 * while Redis is unreachable, and a failure is reported instead of thrown. The
 * adapter publishes without handling the promise, so a failed publish under load
 * was an unhandled rejection that ended the process. Local delivery never
 * depends on it: the adapter delivers to this node's sockets itself.
 */
function neverThrowingPublisher(client: Redis, failed: (error: unknown) => void): Redis {
  const publish = (channel: string, message: string): Promise<number> =>
    client.status !== 'ready'
      ? Promise.resolve(0)
      : client.publish(channel, message).catch((error: unknown) => {
          failed(error);
          return 0;
        });
  return new Proxy(client, {
    get(target, property) {
      if (property === 'publish') return publish;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' && property !== 'constructor'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
