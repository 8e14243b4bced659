import { Injectable } from '@nestjs/common';
import { isIPv6 } from 'node:net';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from '../redis/redis-connections.js';

/**
 * Brute-force protection of the admin token (README "Security"): at most
 * ADMIN_AUTH_MAX_FAILURES wrong tokens per client address within
 * ADMIN_AUTH_WINDOW_SECONDS; the last of them blocks the address for a whole
 * window, the right token included (otherwise a blocked guesser would still
 * learn which guess is right: 200 among the 429s).
 *
 * With REDIS_URL the counts live in Redis, so a guesser spread over the nodes
 * by the load balancer gets the same budget as against one node; when Redis
 * does not answer, each node counts in memory meanwhile (the insurance limiter).
 */
@Injectable()
export class AdminAuthLimiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly windowSeconds: number;

  constructor(config: AppConfig, redis: RedisConnections) {
    this.windowSeconds = config.adminAuthWindowSeconds;
    const options = {
      points: config.adminAuthMaxFailures,
      duration: config.adminAuthWindowSeconds,
    };
    const memory = new RateLimiterMemory({ ...options, keyPrefix: 'admin-auth' });
    this.limiter = redis.commands
      ? new RateLimiterRedis({
          ...options,
          storeClient: redis.commands,
          keyPrefix: redis.key('admin-auth'),
          // Straight to the in-memory insurance while Redis is down, instead of queueing.
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
  }

  /** Milliseconds until `address` may try again, or 0 when it is not blocked. */
  async blockedFor(address: string): Promise<number> {
    const state = await this.limiter.get(addressKey(address));
    // block() records one point more than allowed; counting alone stops at `points`.
    return state && state.consumedPoints > this.limiter.points
      ? Math.max(state.msBeforeNext, 1)
      : 0;
  }

  /**
   * Counts a wrong token and resolves to 0 while it is within the budget (the
   * one that reaches the limit blocks the address for a window), else to the
   * milliseconds the address stays blocked. The count is one atomic step
   * (Redis INCR, or memory), so concurrent wrong tokens cannot all pass a check
   * made before any of them was counted: at most the budget is ever answered 401.
   */
  async failed(address: string): Promise<number> {
    const key = addressKey(address);
    const state = await this.limiter.consume(key).catch((rejection: unknown) => {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    });
    if (state.consumedPoints > this.limiter.points) return Math.max(state.msBeforeNext, 1);
    if (state.consumedPoints === this.limiter.points) {
      await this.limiter.block(key, this.windowSeconds);
    }
    return 0;
  }
}

/**
 * The key an address counts under: IPv4 (IPv4-mapped IPv6 included) as is,
 * IPv6 by its /64, since one host or home usually holds a whole /64.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('%')[0].split('::');
  const parse = (part: string | undefined) =>
    part
      ? part.split(':').flatMap((group) => (group.includes('.') ? ipv4Groups(group) : [group]))
      : [];
  const left = parse(head);
  const right = parse(tail);
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((group) => parseInt(group, 16).toString(16));
}

/** An embedded IPv4 (the last 32 bits of some IPv6 forms) as two hex groups. */
function ipv4Groups(ipv4: string): string[] {
  const [a, b, c, d] = ipv4.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
