import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';

/** How long the burst pool lasts before it is full again. */
export const BURST_WINDOW_SECONDS = 10;
/**
 * A Redis answer slower than this counts as a Redis failure: the node's
 * in-memory limiter decides instead (a stalled Redis never stalls events).
 */
const REDIS_TIMEOUT_MS = 300;

export interface RateLimitSpec {
  /** Names the limit in keys (memory and Redis). */
  readonly name: string;
  /** What it counts, in the refusal message ("send_message", "requests ..."). */
  readonly counts: string;
  /** Points per 1-second window. */
  readonly perSecond: number;
  /** Extra points per BURST_WINDOW_SECONDS once a second's worth is spent (0: none). */
  readonly burst: number;
}

type Limiter = Pick<RateLimiterMemory, 'consume'> | BurstyRateLimiter;

/**
 * One rate limit from rate-limiter-flexible: fixed 1-second windows of
 * `perSecond` points plus a pool of `burst` points refilled every
 * BURST_WINDOW_SECONDS, the library's BurstyRateLimiter (its documented way
 * to allow bursts over a steady rate; it has no token bucket as such).
 */
export class RateLimit {
  constructor(
    readonly spec: RateLimitSpec,
    private readonly limiter: Limiter,
    private readonly onStoreError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * Spends `points` of `key`'s allowance. Resolves to 0 when allowed, else to
   * the milliseconds until it would be. Never rejects: a store failure (which
   * the insurance limiter should already have absorbed) allows the event.
   */
  consume(key: string | number, points: number): Promise<number> {
    return this.limiter.consume(key, points).then(allowed, this.rejected);
  }

  private readonly rejected = (rejection: unknown): number => {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext));
    this.onStoreError(rejection);
    return 0;
  };
}

const allowed = (): number => 0;

function bursty(
  spec: RateLimitSpec,
  window: (points: number, seconds: number, name: string) => Limiter,
): Limiter {
  const steady = window(spec.perSecond, 1, spec.name);
  if (spec.burst === 0) return steady;
  return new BurstyRateLimiter(
    steady as RateLimiterMemory,
    window(spec.burst, BURST_WINDOW_SECONDS, `${spec.name}:burst`) as RateLimiterMemory,
  );
}

/** Counted in this process's memory: per socket, and per user without Redis. */
export function memoryRateLimit(spec: RateLimitSpec): RateLimit {
  return new RateLimit(
    spec,
    bursty(
      spec,
      (points, duration, keyPrefix) => new RateLimiterMemory({ keyPrefix, points, duration }),
    ),
  );
}

/**
 * Counted in Redis, so every node shares one allowance per key: one pipelined
 * script call per event (ioredis auto-pipelining), a second one only for
 * events over the steady rate (the burst pool). A key that spent its window
 * is refused from memory until the window ends, with no Redis call, so a
 * flooding user costs Redis nothing more. When Redis is not connected, fails
 * or takes over REDIS_TIMEOUT_MS, an in-memory limiter of the same size
 * decides (the library's insurance limiter): legitimate users are never
 * refused because of Redis.
 */
export function redisRateLimit(
  spec: RateLimitSpec,
  redis: Redis,
  keyPrefix: string,
  onStoreError: (error: unknown) => void,
): RateLimit {
  return new RateLimit(
    spec,
    bursty(
      spec,
      (points, duration, name) =>
        new RLWrapperTimeouts({
          limiter: new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${keyPrefix}:${name}`,
            points,
            duration,
            rejectIfRedisNotReady: true,
            inMemoryBlockOnConsumed: points,
            insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration }),
          }),
          timeoutMs: REDIS_TIMEOUT_MS,
        }),
    ),
    onStoreError,
  );
}
