import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PresenceStore } from '../presence/presence-store.js';
import { SocketServer } from '../realtime/socket-server.js';

/** Share of SHUTDOWN_TIMEOUT_MS for draining; the rest is for closing the database and Redis. */
const DRAIN_SHARE = 0.8;

/**
 * Tracks socket events in flight and drains the node on shutdown:
 * 1. `draining`: new connections and new events are refused with a clear error
 *    (clients retry on another node), /health answers 503;
 * 2. events already being handled finish (nothing is left half-written);
 * 3. every socket's transport is closed after its pending packets are flushed,
 *    which socket.io clients treat as a dropped connection and reconnect;
 * 4. this node's presence entries are withdrawn.
 * Nest then closes the socket server, HTTP, the database and Redis.
 */
@Injectable()
export class ServerLifecycle implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  draining = false;

  constructor(
    private readonly config: AppConfig,
    private readonly sockets: SocketServer,
    private readonly presence: PresenceStore,
  ) {}

  /** Events accepted and not finished, across all sockets (the node-wide bound reads it). */
  get pending(): number {
    return this.inFlight;
  }

  eventStarted(): void {
    this.inFlight++;
  }

  eventFinished(): void {
    this.inFlight--;
    if (this.inFlight === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /**
   * Nest calls every module's onModuleDestroy before any beforeApplicationShutdown:
   * new events are refused from here on, so that the hooks that wait for work to
   * finish (SendBatcher's, with a socket's queued sends) see it end.
   */
  onModuleDestroy(): void {
    this.draining = true;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + this.config.shutdownTimeoutMs * DRAIN_SHARE;
    this.logger.log(
      `draining (${signal ?? 'close'}): ${this.inFlight} events in flight, ${this.sockets.localSockets().length} sockets`,
    );
    if (!(await this.within(deadline, this.idle()))) {
      this.logger.warn(`${this.inFlight} events still in flight at the drain deadline`);
    }
    const sockets = this.sockets.localSockets();
    const closed = Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.conn.readyState === 'closed') return resolve();
            socket.conn.once('close', () => resolve());
            // Not discarding: answers already queued reach the client before the close.
            socket.conn.close();
          }),
      ),
    );
    if (!(await this.within(deadline, closed))) {
      this.logger.warn('some connections had not flushed at the drain deadline');
    }
    await this.presence.withdraw();
    this.logger.log('drained');
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether `work` settled before `deadline`. */
  private async within(deadline: number, work: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([work.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
