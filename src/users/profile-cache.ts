import { Injectable } from '@nestjs/common';
import type { Profile } from './users.service.js';

/** Enough for every active user of a large deployment; about 100 bytes each. */
export const PROFILE_CACHE_MAX_ENTRIES = 100_000;

/**
 * Users' profiles (id -> {id, name, image}) kept in memory so that sending a
 * message needs no profile look-up. Users are only created or changed through
 * the admin API, which invalidates the entry it changed (on every node, once
 * several run), so an answer given after a change shows it (contract, "Rows").
 * Only users that exist are cached. Bounded: the oldest entries go first.
 */
@Injectable()
export class ProfileCache {
  private readonly profiles = new Map<number, Profile>();
  /** Bumped by every invalidation: a load that started before one must not be cached. */
  private generation = 0;

  /** Provided by a factory in UsersModule, so the constructor may take a plain value. */
  constructor(private readonly maxEntries = PROFILE_CACHE_MAX_ENTRIES) {}

  get(id: number): Profile | undefined {
    return this.profiles.get(id);
  }

  /** The token to pass to `set` for a profile about to be read from the database. */
  beginLoad(): number {
    return this.generation;
  }

  /**
   * Caches a profile read from the database, unless an invalidation happened
   * since `beginLoad()` returned `loadToken` (the read may predate the change).
   */
  set(profile: Profile, loadToken: number): void {
    if (loadToken !== this.generation) return;
    this.profiles.delete(profile.id); // re-inserted as the newest
    this.profiles.set(profile.id, Object.freeze({ ...profile }));
    if (this.profiles.size > this.maxEntries) {
      this.profiles.delete(this.profiles.keys().next().value!);
    }
  }

  /** Forgets one user's profile: the next read goes to the database. */
  invalidate(id: number): void {
    this.generation++;
    this.profiles.delete(id);
  }

  clear(): void {
    this.generation++;
    this.profiles.clear();
  }

  get size(): number {
    return this.profiles.size;
  }
}
