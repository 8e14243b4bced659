import { Logger, OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { RedisConnections } from '../redis/redis-connections.js';
import { PresenceStore } from './presence-store.js';

/** Redis answers for several node hashes at once; ids go in chunks well below Lua's unpack limit. */
const IDS_PER_CALL = 1000;

/**
 * For each live node, which of `ARGV[2..]` have a field in that node's hash.
 * A node's hash expires PRESENCE_TTL_MS after its last heartbeat, so a node
 * that died without a goodbye stops counting by itself; its id is then pruned
 * from the node set. Expiry uses Redis's own clock: node clocks never matter.
 */
const ONLINE_AMONG_LUA = `
local online = {}
for i = 2, #ARGV do online[i - 1] = 0 end
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local hash = ARGV[1] .. node
  if redis.call('EXISTS', hash) == 0 then
    redis.call('SREM', KEYS[1], node)
  else
    local counts = redis.call('HMGET', hash, unpack(ARGV, 2))
    for i = 1, #counts do
      if counts[i] then online[i] = 1 end
    end
  end
end
return online`;

/**
 * Presence shared by every node through Redis. Each node owns one hash,
 * `<prefix>:presence:node:<nodeId>`, of userId → sockets bound here, kept alive
 * by a heartbeat every third of the TTL; the set `<prefix>:presence:nodes`
 * lists the nodes. A user is online while any live node's hash has them.
 */
export class RedisPresenceStore extends PresenceStore implements OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  readonly nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly redis: Redis;
  private readonly nodesKey: string;
  private readonly nodeKey: string;
  private readonly nodeKeyPrefix: string;
  /** This node's truth, rewritten to Redis whenever its hash has gone (Redis restart, stall). */
  private readonly localCounts = new Map<number, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private withdrawn = false;
  /** A write failed (Redis down): Redis may disagree with localCounts until the next rewrite. */
  private stale = false;

  constructor(
    private readonly connections: RedisConnections,
    private readonly ttlMs: number,
  ) {
    super();
    if (!connections.commands) throw new Error('RedisPresenceStore needs REDIS_URL');
    this.redis = connections.commands;
    this.nodesKey = connections.key('presence', 'nodes');
    this.nodeKeyPrefix = connections.key('presence', 'node', '');
    this.nodeKey = this.nodeKeyPrefix + this.nodeId;
    this.redis.defineCommand('chatOnlineAmong', { numberOfKeys: 1, lua: ONLINE_AMONG_LUA });
    this.heartbeat = setInterval(() => void this.beat(), Math.max(250, Math.floor(ttlMs / 3)));
    this.heartbeat.unref();
    // Back from an outage (or a Redis restart that lost everything): rewrite at once.
    connections.onReconnect(() => {
      this.stale = true;
      void this.beat();
    });
  }

  socketsChanged(userId: number, localSockets: number): void {
    if (this.withdrawn) return;
    if (localSockets > 0) this.localCounts.set(userId, localSockets);
    else this.localCounts.delete(userId);
    if (this.stale) return; // the next heartbeat rewrites the whole hash
    const write = this.redis.multi();
    if (localSockets > 0) write.hset(this.nodeKey, String(userId), localSockets);
    else write.hdel(this.nodeKey, String(userId));
    write.pexpire(this.nodeKey, this.ttlMs).sadd(this.nodesKey, this.nodeId);
    write.exec().catch((error: unknown) => {
      this.stale = true;
      this.failed('presence update', error);
    });
  }

  /**
   * Online anywhere, from Redis. While Redis is unreachable, from this node's
   * own sockets only (degraded: a user connected only to another node reads
   * as offline) rather than failing the listing.
   */
  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    try {
      return await this.onlineAnywhere(userIds);
    } catch (error) {
      this.failed('presence read', error);
      return new Set(userIds.filter((id) => this.localCounts.has(id)));
    }
  }

  private async onlineAnywhere(userIds: number[]): Promise<Set<number>> {
    const online = new Set<number>();
    const ids = [...new Set(userIds)];
    for (let start = 0; start < ids.length; start += IDS_PER_CALL) {
      const chunk = ids.slice(start, start + IDS_PER_CALL);
      const flags = (await (
        this.redis as unknown as {
          chatOnlineAmong(key: string, ...args: string[]): Promise<number[]>;
        }
      ).chatOnlineAmong(this.nodesKey, this.nodeKeyPrefix, ...chunk.map(String))) as number[];
      chunk.forEach((id, i) => {
        if (flags[i] === 1) online.add(id);
      });
    }
    return online;
  }

  /** Keeps this node's entries alive; rewrites them if Redis lost them or missed a change. */
  private async beat(): Promise<void> {
    if (this.withdrawn) return;
    try {
      if (this.stale) return await this.rewrite();
      const [[, alive]] = (await this.redis
        .multi()
        .pexpire(this.nodeKey, this.ttlMs)
        .sadd(this.nodesKey, this.nodeId)
        .exec()) as [[Error | null, number], [Error | null, number]];
      if (alive === 0 && this.localCounts.size > 0) {
        this.logger.warn(
          `presence of this node had expired in Redis; rewriting ${this.localCounts.size} users`,
        );
        await this.rewrite();
      }
    } catch (error) {
      this.stale = true;
      this.failed('presence heartbeat', error);
    }
  }

  /** Replaces this node's hash with its local truth (after Redis lost it or missed changes). */
  private async rewrite(): Promise<void> {
    const write = this.redis.multi().del(this.nodeKey);
    if (this.localCounts.size > 0) write.hset(this.nodeKey, Object.fromEntries(this.localCounts));
    await write.pexpire(this.nodeKey, this.ttlMs).sadd(this.nodesKey, this.nodeId).exec();
    this.stale = false;
  }

  async withdraw(): Promise<void> {
    if (this.withdrawn) return;
    this.withdrawn = true;
    clearInterval(this.heartbeat);
    try {
      await this.redis.multi().del(this.nodeKey).srem(this.nodesKey, this.nodeId).exec();
    } catch (error) {
      this.failed('presence withdrawal', error);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
  }

  private failed(what: string, error: unknown): void {
    // While Redis is down, RedisConnections has said so once; every retry failing is expected.
    if (!this.connections.isReady) return;
    this.logger.warn(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
