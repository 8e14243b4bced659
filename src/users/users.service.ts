import { Injectable, Logger } from '@nestjs/common';
import { UnknownUserError } from '../errors/domain-errors.js';
import { ProfileCache } from './profile-cache.js';
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
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly repository: UsersRepository,
    private readonly cache: ProfileCache,
  ) {}

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
