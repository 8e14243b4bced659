import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { InvalidInputError } from '../errors/domain-errors.js';
import { DomainEvents } from '../events/domain-events.js';
import { NodeBus } from '../realtime/node-bus.js';
import { SocketServer } from '../realtime/socket-server.js';
import { UserNotifier } from '../realtime/user-notifier.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { UsersService } from '../users/users.service.js';
import './ban-events.js';
import { ACCOUNT_SUSPENDED, suspendedMessage } from './ban-rule.sql.js';
import { BansRepository, type BanState } from './bans.repository.js';

/** Node bus: a ban was set or lifted (payload: BanChange). */
const BAN_CHANGED = 'chat:ban_changed';
/** Node bus: cut a user's sockets (payload: UserCut). */
const USER_CUT = 'chat:user_cut';
/** setTimeout's longest delay; a later `until` is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Latest `until` accepted: the end of year 9999 (unix seconds). */
export const MAX_UNTIL = 253_402_300_799;

interface BanChange {
  userId: number;
  ban: BanState | null;
}

interface UserCut {
  userId: number;
  message: string;
}

/**
 * Bans (README "Moderation"). The table is the truth, and the send statement
 * reads it (ban-rule.sql.ts); each node also keeps the bans in force in
 * memory, so connect_user and token handshakes are refused without a query,
 * and cuts a banned user's sockets. A change is announced to every node on
 * the node bus (and acknowledged before the admin call answers); a node back
 * from a Redis outage reloads them all. A ban with an `until` lifts by itself:
 * a timer per node drops it from memory, and every read checks `until` too.
 */
@Injectable()
export class BansService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BansService.name);
  private readonly active = new Map<number, BanState>();
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly repository: BansRepository,
    private readonly users: UsersService,
    private readonly nodes: NodeBus,
    private readonly sockets: SocketServer,
    private readonly notifier: UserNotifier,
    private readonly events: DomainEvents,
    private readonly redis: RedisConnections,
    private readonly registry: UserDataRegistry,
  ) {}

  onModuleInit(): void {
    this.nodes.onNodeEvent(BAN_CHANGED, (payload) => this.apply(payload as BanChange));
    this.nodes.onNodeEvent(USER_CUT, (payload) => {
      const { userId, message } = payload as UserCut;
      this.cutLocal(userId, message);
    });
    // Changes announced while this node could not hear them: the table has them.
    this.redis.onReconnect(() => void this.reload());
    this.registry.register({
      name: 'bans',
      order: 100,
      erase: (manager, userId) => this.repository.erase(manager, userId),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  onModuleDestroy(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** The ban in force on the user, from this node's memory (expiry checked on read). */
  activeBan(userId: number): BanState | undefined {
    const ban = this.active.get(userId);
    if (ban && ban.until !== null && ban.until * 1000 <= Date.now()) {
      this.drop(userId);
      return undefined;
    }
    return ban;
  }

  /** Why the user may not connect now ("account suspended ..."), or undefined. */
  refusal(userId: number): string | undefined {
    const ban = this.activeBan(userId);
    return ban && suspendedMessage(ban.until);
  }

  /** The ban in force, read from the table (the admin API). */
  findActive(userId: number): Promise<BanState | undefined> {
    return this.repository.findActive(userId);
  }

  /**
   * Bans the user (replacing a ban in force): every node cuts the user's
   * sockets (`exception` "account suspended", then a disconnect) before this
   * resolves, or after the node bus's timeout for a node that does not answer.
   */
  async ban(
    actor: string,
    userId: number,
    reason: string,
    until: number | null,
    context: { reportId?: number } = {},
  ): Promise<BanState> {
    if (until !== null && (until * 1000 <= Date.now() || until > MAX_UNTIL)) {
      throw new InvalidInputError(
        'until must be a time in the future, in unix seconds (or null for a ban without end)',
      );
    }
    await this.users.requireDetails(userId);
    const ban = await this.repository.upsert(userId, reason, until, actor);
    await this.announce({ userId, ban });
    this.events.publish('user.banned', {
      actor,
      userId,
      ...(context.reportId === undefined ? {} : { reportId: context.reportId }),
      details: { reason, until },
    });
    return ban;
  }

  /** Lifts the user's ban on every node; resolves to the ban that was in force, if any. */
  async unban(actor: string, userId: number): Promise<BanState | undefined> {
    await this.users.requireDetails(userId);
    const lifted = await this.repository.delete(userId);
    await this.announce({ userId, ban: null });
    this.events.publish('user.unbanned', {
      actor,
      userId,
      details: { lifted: lifted !== undefined },
    });
    return lifted;
  }

  /**
   * After an erasure: every node forgets the user's ban and cuts the user's
   * sockets with `message`, before this resolves.
   */
  async cutEverywhere(userId: number, message: string): Promise<void> {
    this.apply({ userId, ban: null });
    this.cutLocal(userId, message);
    await this.nodes.toOtherNodes(BAN_CHANGED, { userId, ban: null } satisfies BanChange);
    await this.nodes.toOtherNodes(USER_CUT, { userId, message } satisfies UserCut);
  }

  private async announce(change: BanChange): Promise<void> {
    this.apply(change);
    await this.nodes.toOtherNodes(BAN_CHANGED, change);
  }

  /** Takes a change into this node's memory; a ban in force cuts the user's sockets here. */
  private apply({ userId, ban }: BanChange): void {
    this.drop(userId);
    if (!ban || (ban.until !== null && ban.until * 1000 <= Date.now())) return;
    this.active.set(userId, ban);
    if (ban.until !== null) this.scheduleExpiry(ban);
    this.cutLocal(userId, ACCOUNT_SUSPENDED);
  }

  private scheduleExpiry(ban: BanState): void {
    const wait = ban.until! * 1000 - Date.now();
    const timer = setTimeout(
      () => {
        this.timers.delete(ban.userId);
        if (this.active.get(ban.userId) !== ban) return;
        if (wait > MAX_TIMER_MS) this.scheduleExpiry(ban);
        else {
          this.active.delete(ban.userId);
          this.logger.log(`the ban of user ${ban.userId} ended`);
        }
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(ban.userId, timer);
  }

  private drop(userId: number): void {
    this.active.delete(userId);
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
  }

  /** Every socket of the user on this node: told why, then disconnected. */
  private cutLocal(userId: number, message: string): void {
    for (const socket of this.sockets.localSocketsOf(userId)) {
      this.notifier.toSocket(socket, 'exception', {
        status: 'error',
        message,
        event: 'connect_user',
      });
      // Engine.IO flushes the exception before closing.
      socket.disconnect(true);
    }
  }

  /** Replaces this node's memory with the bans in force in the table. */
  async reload(): Promise<void> {
    try {
      const bans = await this.repository.findAllActive();
      for (const userId of [...this.active.keys()]) this.drop(userId);
      for (const ban of bans) this.apply({ userId: ban.userId, ban });
    } catch (error) {
      this.logger.error(
        `could not load the bans: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

export { ACCOUNT_SUSPENDED };
