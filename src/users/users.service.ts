import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UnknownUserError } from '../errors/domain-errors.js';
import { ProfileCache } from './profile-cache.js';
import { User } from './user.entity.js';

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: ProfileCache,
  ) {}

  private get users() {
    return this.dataSource.getRepository(User);
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
    // Plain SQL rather than the repository's find: this runs for every connect_user,
    // and find builds and hydrates through TypeORM's query builder, about 30 KB of
    // short-lived objects per call that outlive the round trip into the old generation.
    const rows: Array<{ id: number; name: string; image: string }> = await this.dataSource.query(
      'SELECT id, name, image FROM users WHERE id = ANY($1::integer[])',
      [[...new Set(ids)]],
    );
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
    const rows: Array<{ id: number; name: string; image: string; created: boolean }> =
      await this.dataSource.query(
        `INSERT INTO users (id, name, image) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, image = EXCLUDED.image, updated_at = now()
       RETURNING id, name, image, (xmax = 0) AS created`,
        [id, name, image],
      );
    // After the commit and before the admin API answers: later answers read the new profile.
    this.cache.invalidate(id);
    const { created, ...profile } = rows[0];
    return { profile, created };
  }

  /** Demo users for a newcomer's first run; only on an empty users table. */
  async createDemoUsersIfEmpty(): Promise<boolean> {
    if ((await this.users.count()) > 0) return false;
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
