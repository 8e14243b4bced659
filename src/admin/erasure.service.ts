import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BansService } from '../bans/bans.service.js';
import { DomainEvents } from '../events/domain-events.js';
import { PresenceService } from '../presence/presence.service.js';
import type { BanState } from '../bans/bans.repository.js';
import { ProfileSync } from '../users/profile-sync.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { UsersService, type Profile } from '../users/users.service.js';
import './admin-events.js';

/** What the sockets of an erased user are told before they are disconnected. */
export const ACCOUNT_DELETED = 'account deleted';

export interface ErasureResult {
  userId: number;
  /** Rows removed, by table. */
  removed: Record<string, number>;
}

/** GET /admin/users/:id */
export interface UserDetails {
  profile: Profile & { created: number; updated: number };
  ban: BanState | null;
  /** Named counts from every module that keeps rows about users (conversations, messagesSent, ...). */
  counts: Record<string, number>;
  online: boolean;
}

/**
 * A user as the admin sees them, and erasure (README "Moderation"): every
 * module's rows about the user, through the UserDataRegistry, in one
 * transaction; then every node forgets the profile and cuts the user's sockets.
 */
@Injectable()
export class ErasureService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: UserDataRegistry,
    private readonly users: UsersService,
    private readonly profileSync: ProfileSync,
    private readonly bans: BansService,
    private readonly presence: PresenceService,
    private readonly events: DomainEvents,
  ) {}

  async details(userId: number): Promise<UserDetails> {
    const details = await this.users.requireDetails(userId);
    const counts: Record<string, number> = {};
    for (const entry of this.registry.list()) {
      if (entry.count) Object.assign(counts, await entry.count(this.dataSource.manager, userId));
    }
    const [ban, online] = await Promise.all([
      this.bans.findActive(userId),
      this.presence.onlineUsers([userId]),
    ]);
    return {
      profile: {
        id: details.id,
        name: details.name,
        image: details.image,
        created: Math.floor(new Date(details.createdAt).getTime() / 1000),
        updated: Math.floor(new Date(details.updatedAt).getTime() / 1000),
      },
      ban: ban ?? null,
      counts,
      online: online.has(userId),
    };
  }

  async erase(actor: string, userId: number): Promise<ErasureResult> {
    const removed: Record<string, number> = {};
    await this.dataSource.transaction(async (manager) => {
      await this.users.lockForErasure(manager, userId);
      const scope = { partners: new Set<number>() };
      for (const entry of this.registry.list()) {
        removed[entry.name] = await entry.erase(manager, userId, scope);
      }
    });
    this.users.forget(userId);
    await this.profileSync.changedHere(userId);
    await this.bans.cutEverywhere(userId, ACCOUNT_DELETED);
    this.events.publish('user.erased', { actor, userId, details: { removed } });
    return { userId, removed };
  }
}
