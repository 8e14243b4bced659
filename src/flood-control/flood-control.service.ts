import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, type LimitsConfig } from '../config/app-config.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { SocketServer } from '../realtime/socket-server.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { payloadBytes } from './payload-size.js';
import {
  BURST_WINDOW_SECONDS,
  memoryRateLimit,
  redisRateLimit,
  type RateLimit,
  type RateLimitSpec,
} from './rate-limit.js';
import { REFUSAL_REASONS, type Refusal, type RefusalReason } from './refusal.js';

/** What flood control keeps per socket: its events admitted and not finished. */
export interface SocketQueue {
  waiting: number;
  waitingBytes: number;
}

/** Limit refusals of one socket in the current window. */
interface Strikes {
  count: number;
  since: number;
}

/** A socket still over SOCKET_OUTBOUND_BYTES unsent this long after its first refusal is closed. */
export const SLOW_READER_GRACE_MS = 10_000;

/** What outbound accounting reads of a Socket.IO socket: its Engine.IO connection. */
export interface OutboundSocket {
  readonly connected: boolean;
  readonly conn: unknown;
  disconnect(close: boolean): unknown;
}

/** Window in which LIMIT_REFUSALS_BEFORE_DISCONNECT refusals close a socket. */
const STRIKE_WINDOW_MS = 10_000;
/** Longer JSON-string get_message payloads are not parsed to look for `limit`: charged in full. */
const HISTORY_PAYLOAD_PARSED_UP_TO = 4096;

interface RateLimits {
  socketSend: RateLimit;
  socketEvents: RateLimit;
  userSend: RateLimit;
  userEvents: RateLimit;
}

/**
 * Flood control and backpressure (README "Limits"): what a socket may have
 * waiting, what the node may have pending, how fast a socket and a user may
 * send, which sockets are closed for abuse, and how many sockets a user may
 * keep. The Socket.IO adapter asks it about each event; it never touches the
 * Nest pipeline, so refusing costs little even at tens of thousands of
 * events a second.
 */
@Injectable()
export class FloodControlService {
  private readonly logger = new Logger('FloodControl');
  private readonly limits: LimitsConfig;
  /** Estimated bytes of every event admitted on this node and not finished. */
  private nodeBytes = 0;
  /** A whole frame: what an argument list too big to size cheaply is charged. */
  private readonly oversize: number;
  private readonly rates?: RateLimits;
  private readonly counters: Record<RefusalReason, { inc(): void }>;
  /** Only sockets that were refused something; weak, so nothing to clean up on disconnect. */
  private readonly strikes = new WeakMap<object, Strikes>();
  private readonly unboundRefusals = new WeakMap<object, number>();
  /** Sockets over SOCKET_OUTBOUND_BYTES: the timer that closes them if they stay over. */
  private readonly slowReaders = new WeakMap<object, NodeJS.Timeout>();
  private readonly outboundFull: Refusal;

  private readonly socketQueueFull: Refusal;
  private readonly socketQueueBytes: Refusal;
  private readonly nodeBusy: Refusal = {
    reason: 'node_busy',
    message: 'too many requests: the server is busy; retry in a moment',
  };
  private readonly abuseClosing: Refusal = {
    reason: 'disconnected_abuse',
    message:
      'too many requests: this connection kept exceeding its limits and is closed; wait for answers before sending more',
  };
  private readonly unboundClosing: Refusal;

  constructor(
    config: AppConfig,
    private readonly metrics: ChatMetrics,
    private readonly sockets: SocketServer,
    redis: RedisConnections,
  ) {
    this.limits = config.limits;
    this.oversize = config.maxHttpBufferSize;
    const limits = this.limits;
    this.socketQueueFull = {
      reason: 'socket_queue_full',
      message: `too many requests: ${limits.socketQueueLimit} requests are already waiting on this connection; wait for answers before sending more`,
    };
    this.socketQueueBytes = {
      reason: 'socket_queue_bytes',
      message: `too many requests: the requests waiting on this connection already hold ${limits.socketQueueBytes} bytes; wait for answers before sending more`,
    };
    this.outboundFull = {
      reason: 'socket_outbound_bytes',
      message: `too many requests: the answers not yet delivered to this connection already hold ${limits.socketOutboundBytes} bytes; read them before asking for more`,
    };
    this.unboundClosing = {
      reason: 'disconnected_unbound',
      message: `too many requests: ${limits.unboundRefusalsBeforeDisconnect} refused before connect_user; this connection is closed`,
    };
    // Every reason shows in /metrics from the start, at 0.
    this.counters = {} as Record<RefusalReason, { inc(): void }>;
    for (const reason of REFUSAL_REASONS) {
      metrics.refusals.inc({ reason }, 0);
      this.counters[reason] = metrics.refusals.labels(reason);
    }
    if (limits.rateLimits) this.rates = this.buildRateLimits(redis);
  }

  private buildRateLimits(redis: RedisConnections): RateLimits {
    const send = (name: string): RateLimitSpec => ({
      name,
      counts: 'send_message',
      perSecond: this.limits.sendPerSecond,
      burst: this.limits.sendBurst,
    });
    const events = (name: string): RateLimitSpec => ({
      name,
      counts: `requests (a get_message without limit counts ${this.limits.fullHistoryCost})`,
      perSecond: this.limits.eventsPerSecond,
      burst: this.limits.eventsBurst,
    });
    const commands = redis.commands;
    const perUser = commands
      ? (spec: RateLimitSpec) =>
          redisRateLimit(spec, commands, redis.key('limits'), (error) => {
            this.metrics.errors.inc({ source: 'redis' });
            this.logger.warn(`rate limit store failed: ${String(error)}`);
          })
      : memoryRateLimit;
    // A socket lives on one node: its limits stay in memory. A user's span every node.
    return {
      socketSend: memoryRateLimit(send('socket-send')),
      socketEvents: memoryRateLimit(events('socket-events')),
      userSend: perUser(send('user-send')),
      userEvents: perUser(events('user-events')),
    };
  }

  /**
   * An event arrived on a socket whose queue is `queue`, with `nodePending`
   * events pending on the node. Admitted: counts it in the queue and returns
   * the bytes charged (give them back with `finished`). Refused: the refusal,
   * at once, without queueing anything. An event arriving at an empty queue
   * is never refused for its size alone (a frame up to MAX_HTTP_BUFFER_SIZE
   * is allowed).
   */
  admit(queue: SocketQueue, payload: unknown, nodePending: number): Refusal | number {
    const limits = this.limits;
    if (queue.waiting >= limits.socketQueueLimit) return this.socketQueueFull;
    if (nodePending >= limits.nodePendingLimit) return this.nodeBusy;
    const bytes = payloadBytes(payload, this.oversize);
    if (queue.waiting > 0 && queue.waitingBytes + bytes > limits.socketQueueBytes) {
      return this.socketQueueBytes;
    }
    if (this.nodeBytes > 0 && this.nodeBytes + bytes > limits.nodePendingBytes) {
      return this.nodeBusy;
    }
    queue.waiting++;
    queue.waitingBytes += bytes;
    this.nodeBytes += bytes;
    return bytes;
  }

  /**
   * Refuses an event of a socket whose answers are not being read: more than
   * SOCKET_OUTBOUND_BYTES already wait to be written out to it. Without this,
   * a client asking for whole histories and never reading made the node buffer
   * them without limit. A socket still over the bound SLOW_READER_GRACE_MS
   * after its first such refusal is closed, whatever it still had unsent.
   */
  outboundRefusal(socket: OutboundSocket): Refusal | undefined {
    if (unsentBytes(socket.conn) <= this.limits.socketOutboundBytes) return undefined;
    if (!this.slowReaders.has(socket)) {
      const timer = setTimeout(() => {
        this.slowReaders.delete(socket);
        if (!socket.connected || unsentBytes(socket.conn) <= this.limits.socketOutboundBytes) {
          return;
        }
        this.counters.disconnected_slow_reader.inc();
        closeNow(socket);
      }, SLOW_READER_GRACE_MS);
      timer.unref();
      this.slowReaders.set(socket, timer);
    }
    return this.outboundFull;
  }

  /** An admitted event finished (handled, refused or dropped). */
  finished(queue: SocketQueue, bytes: number): void {
    queue.waiting--;
    queue.waitingBytes -= bytes;
    this.nodeBytes -= bytes;
  }

  /**
   * The rate limits' verdict on an event at its turn: undefined (synchronously)
   * when rate limits are off, else a promise of the refusal or undefined. The
   * socket's own limit is checked first, in memory, so a flooding socket costs
   * the user's (possibly Redis) limit nothing more; an unbound socket has no
   * user limit yet.
   */
  rateRefusal(
    socketId: string,
    userId: number | undefined,
    event: string,
    payload: unknown,
  ): Promise<Refusal | undefined> | undefined {
    const rates = this.rates;
    if (!rates) return undefined;
    const send = event === 'send_message';
    const cost =
      event === 'get_message' && isFullHistory(payload) ? this.limits.fullHistoryCost : 1;
    const socketLimit = send ? rates.socketSend : rates.socketEvents;
    return socketLimit.consume(socketId, cost).then((waitMs) => {
      if (waitMs > 0) return this.rateRefused('rate_socket', socketLimit, waitMs, 'connection');
      if (userId === undefined) return undefined;
      const userLimit = send ? rates.userSend : rates.userEvents;
      return userLimit
        .consume(userId, cost)
        .then((userWaitMs) =>
          userWaitMs > 0 ? this.rateRefused('rate_user', userLimit, userWaitMs, 'user') : undefined,
        );
    });
  }

  private rateRefused(
    reason: RefusalReason,
    limit: RateLimit,
    waitMs: number,
    per: string,
  ): Refusal {
    const { counts, perSecond, burst } = limit.spec;
    const bursts = burst > 0 ? ` and ${burst} more every ${BURST_WINDOW_SECONDS} s` : '';
    return {
      reason,
      message: `too many requests: at most ${perSecond} ${counts} per second${bursts} per ${per}; retry in ${waitMs} ms`,
    };
  }

  /**
   * `socket` was refused `refusal` (and told so). Counts it. Exceeding the
   * socket's own limits (queue, rate) is also a strike: past
   * LIMIT_REFUSALS_BEFORE_DISCONNECT strikes within 10 s, returns the notice
   * to send before closing the socket. A busy or draining node is no fault
   * of the client's, and no strike.
   */
  refused(socket: object, refusal: Refusal): Refusal | undefined {
    this.counters[refusal.reason].inc();
    if (refusal.reason === 'node_busy' || refusal.reason === 'shutting_down') return undefined;
    const threshold = this.limits.refusalsBeforeDisconnect;
    if (threshold === 0) return undefined;
    const now = Date.now();
    let strikes = this.strikes.get(socket);
    if (!strikes || now - strikes.since >= STRIKE_WINDOW_MS) {
      strikes = { count: 0, since: now };
      this.strikes.set(socket, strikes);
    }
    if (++strikes.count !== threshold) return undefined;
    this.counters.disconnected_abuse.inc();
    return this.abuseClosing;
  }

  /**
   * A socket not bound to a user yet had an event refused by the handlers
   * (bad input, or not connected as a user). Past
   * UNBOUND_REFUSALS_BEFORE_DISCONNECT of them, returns the notice to send
   * before closing it.
   */
  unboundRefused(socket: object): Refusal | undefined {
    const threshold = this.limits.unboundRefusalsBeforeDisconnect;
    if (threshold === 0) return undefined;
    const count = (this.unboundRefusals.get(socket) ?? 0) + 1;
    this.unboundRefusals.set(socket, count);
    if (count !== threshold) return undefined;
    this.counters.disconnected_unbound.inc();
    return this.unboundClosing;
  }

  /** Counts events dropped without running or answering (their socket is gone). */
  dropped(): void {
    this.counters.dropped_disconnected.inc();
  }

  /**
   * A socket was just bound to `userId` on this node. Over MAX_SOCKETS_PER_USER
   * of them here, the oldest (bound first) are disconnected. Per node: the
   * cross-node count is in Redis (presence), but closing a socket on another
   * node would take a request to that node on every bind, and one node is
   * where one client's reconnect storm lands anyway (sticky balancing).
   */
  enforceSocketCap(userId: number): void {
    const sockets = this.sockets.localSocketsOf(userId);
    const excess = sockets.length - this.limits.maxSocketsPerUser;
    for (let i = 0; i < excess; i++) {
      this.counters.socket_cap.inc();
      sockets[i].disconnect(true);
    }
  }
}

interface EngineConnection {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number; terminate?(): void } };
  close?(discard: boolean): unknown;
}

/**
 * Bytes waiting to be written out to a connection: Engine.IO's packets not yet
 * handed to the transport (a WebSocket whose peer does not read stays busy, so
 * they pile up here; a polling client that does not poll, too) plus what the
 * WebSocket holds in user space (ws's bufferedAmount). Strings count by length.
 */
export function unsentBytes(conn: unknown): number {
  const engine = conn as EngineConnection;
  let bytes = engine.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of engine.writeBuffer ?? []) {
    const data = packet.data;
    if (typeof data === 'string') bytes += data.length;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) bytes += data.byteLength;
  }
  return bytes;
}

/**
 * Closes a socket at once. A plain disconnect waits for the unsent packets to
 * drain first, which a peer that does not read never lets happen.
 */
function closeNow(socket: OutboundSocket): void {
  socket.disconnect(true);
  const engine = socket.conn as EngineConnection;
  engine.close?.(true);
  engine.transport?.socket?.terminate?.();
}

/**
 * Whether a get_message payload asks for the whole history: an object (or a
 * JSON string of one) without `limit`. Anything else is refused by the
 * payload pipe at little cost, and counts 1; a JSON string too long for any
 * app's get_message is charged as a full history rather than parsed twice.
 */
function isFullHistory(payload: unknown): boolean {
  let value = payload;
  if (typeof value === 'string') {
    if (value.length > HISTORY_PAYLOAD_PARSED_UP_TO) return true;
    try {
      value = JSON.parse(value);
    } catch {
      return false;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const limit = (value as { limit?: unknown }).limit;
  return limit === undefined || limit === null;
}
