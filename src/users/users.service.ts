import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { changedRows } from '../common/changed-rows.js';
import type { EntityManager } from 'typeorm';
import { DomainEvents } from '../events/domain-events.js';
import { UnknownUserError } from '../errors/domain-errors.js';
import { ProfileCache } from './profile-cache.js';
import { UserDataRegistry, USERS_ERASE_ORDER } from './user-data-registry.js';
import './user-events.js';
import { UsersRepository } from './users.repository.js';

export interface Profile {
  id: number;
  name: string;
  image: string;
}

export const DEMO_USERS: Profile[] = [
  { id: 1, name: 'Alice', image: '' },
  { id: 2, name: 'Bob', image: '' },
  { id: 3, name: 'Carol', image: '' },
];

@Injectable()
export class UsersService implements OnModuleInit {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly repository: UsersRepository,
    private readonly cache: ProfileCache,
    private readonly registry: UserDataRegistry,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    // Last: every other table's rows naming the user reference this one.
    this.registry.register({
      name: 'users',
      order: USERS_ERASE_ORDER,
      erase: (manager, userId) => changedRows(manager, 'DELETE FROM users WHERE id = $1', [userId]),
    });
  }

  /** The profile with its times (admin API), or UnknownUserError. */
  async requireDetails(id: number): Promise<Profile & { createdAt: Date; updatedAt: Date }> {
    const details = await this.repository.findDetails(id);
    if (!details) throw new UnknownUserError(id);
    return details;
  }

  /** Erasure, first step inside its transaction: locks the profile, or UnknownUserError. */
  async lockForErasure(manager: EntityManager, id: number): Promise<void> {
    if (!(await this.repository.lockForErasure(manager, id))) throw new UnknownUserError(id);
  }

  /** After an erasure committed: this node's cache forgets the profile. */
  forget(id: number): void {
    this.cache.invalidate(id);
  }

  /** upsertProfile for the admin API: the same, plus its domain event (audit). */
  async saveProfileAsAdmin(
    actor: string,
    id: number,
    name: string,
    image: string,
  ): Promise<Profile> {
    const { profile, created } = await this.upsertProfile(id, name, image);
    this.events.publish('user.profile_saved', {
      actor,
      userId: id,
      // Not the name or image: the trail outlives an erasure, and must not keep the profile.
      details: { created },
    });
    return profile;
  }

  /**
   * Profiles of the given users, by id; missing users are absent from the map.
   * Served from the profile cache; only users it lacks are read (one query).
   */
  async findProfiles(ids: number[]): Promise<Map<number, Profile>> {
    const profiles = new Map<number, Profile>();
    let missing: number[] | undefined;
    for (const id of ids) {
      const cached = this.cache.get(id);
      if (cached) profiles.set(id, cached);
      else (missing ??= []).push(id);
    }
    if (missing) await this.load(missing, profiles);
    return profiles;
  }

  /**
   * The profiles of these users, in the order given; socket events that name
   * an unknown user are refused with this error (contract, "HTTP beside the socket").
   */
  async requireProfiles(...ids: number[]): Promise<Profile[]> {
    return required(ids, await this.findProfiles(ids));
  }

  /** requireProfiles read from the database, for when a statement just found a user missing. */
  async requireStoredProfiles(...ids: number[]): Promise<Profile[]> {
    return required(ids, await this.load(ids, new Map()));
  }

  /** Reads these users' profiles into `into` and the cache. */
  private async load(ids: number[], into: Map<number, Profile>): Promise<Map<number, Profile>> {
    const token = this.cache.beginLoad();
    const rows = await this.repository.findByIds(ids);
    for (const { id, name, image } of rows) {
      const profile = { id, name, image };
      this.cache.set(profile, token);
      into.set(id, profile);
    }
    return into;
  }

  /** Creates or replaces a profile in one statement; returns whether it was new. */
  async upsertProfile(
    id: number,
    name: string,
    image: string,
  ): Promise<{ profile: Profile; created: boolean }> {
    const result = await this.repository.upsert(id, name, image);
    // After the commit and before the admin API answers: later answers read the new profile.
    this.cache.invalidate(id);
    return result;
  }

  /** Demo users for a newcomer's first run; only on an empty users table. */
  async createDemoUsersIfEmpty(): Promise<boolean> {
    if (!(await this.repository.isEmpty())) return false;
    for (const user of DEMO_USERS) await this.upsertProfile(user.id, user.name, user.image);
    this.logger.log(
      `Created demo users: ${DEMO_USERS.map((u) => `${u.id} (${u.name})`).join(', ')}`,
    );
    return true;
  }
}

function required(ids: number[], profiles: Map<number, Profile>): Profile[] {
  return ids.map((id) => {
    const profile = profiles.get(id);
    if (!profile) throw new UnknownUserError(id);
    return profile;
  });
}
