import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * One table's share of a user's data, registered by the module that owns the
 * table (in its onModuleInit), so an erasure covers every table without a
 * central list: a new module with per-user rows registers its own entry.
 */
export interface UserDataEntry {
  /** The table (the erasure's answer reports removed rows under this name). */
  name: string;
  /**
   * Entries run in ascending order inside one transaction: a table whose rows
   * others reference by foreign key goes after them (users last, at 1000).
   */
  order: number;
  /**
   * Deletes the user's rows of this table; resolves to how many went. Rows
   * that named someone else too may add them to `scope.partners` for the
   * entries after (the feed deletes the events naming the user in their feeds).
   */
  erase(manager: EntityManager, userId: number, scope: ErasureScope): Promise<number>;
  /** Named counts shown by `GET /admin/users/:id` (e.g. `{messagesSent: 3}`). */
  count?(manager: EntityManager, userId: number): Promise<Record<string, number>>;
}

/** Shared by the entries of one erasure. */
export interface ErasureScope {
  /** Users who had rows with the erased user (conversation partners, blocks either way). */
  readonly partners: Set<number>;
}

/** Where modules register their UserDataEntry; read by the erasure and the admin user page. */
@Injectable()
export class UserDataRegistry {
  private readonly entries: UserDataEntry[] = [];

  register(entry: UserDataEntry): void {
    if (this.entries.some((e) => e.name === entry.name)) {
      throw new Error(`user data "${entry.name}" is registered twice`);
    }
    this.entries.push(entry);
    this.entries.sort((a, b) => a.order - b.order);
  }

  /** In erasure order. */
  list(): readonly UserDataEntry[] {
    return this.entries;
  }
}

/** Order of the users table's own entry: after every table that references it. */
export const USERS_ERASE_ORDER = 1000;
