import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Profile } from './users.service.js';

/** The users table; one statement per method. */
@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * These users' profiles (missing ones absent). Plain SQL rather than
   * TypeORM's find: this runs for every connect_user, and find builds and
   * hydrates through the query builder, about 30 KB of short-lived objects per
   * call that outlive the round trip into the old generation.
   */
  findByIds(ids: number[]): Promise<Profile[]> {
    return this.dataSource.query(
      'SELECT id, name, image FROM users WHERE id = ANY($1::integer[])',
      [[...new Set(ids)]],
    );
  }

  /** Creates or replaces a profile; `created` tells which. */
  async upsert(
    id: number,
    name: string,
    image: string,
  ): Promise<{ profile: Profile; created: boolean }> {
    const [row]: Array<Profile & { created: boolean }> = await this.dataSource.query(
      `INSERT INTO users (id, name, image) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, image = EXCLUDED.image, updated_at = now()
       RETURNING id, name, image, (xmax = 0) AS created`,
      [id, name, image],
    );
    const { created, ...profile } = row;
    return { profile, created };
  }

  /** The profile with its times, for the admin API; undefined when there is none. */
  async findDetails(
    id: number,
  ): Promise<(Profile & { createdAt: Date; updatedAt: Date }) | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT id, name, image, created_at AS "createdAt", updated_at AS "updatedAt" FROM users WHERE id = $1`,
      [id],
    );
    return row as (Profile & { createdAt: Date; updatedAt: Date }) | undefined;
  }

  /**
   * Erasure: locks the user's row for the erasure's transaction (a concurrent
   * send's insert waits, then finds the user gone); false when there is none.
   */
  async lockForErasure(manager: EntityManager, id: number): Promise<boolean> {
    const rows: unknown[] = await manager.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [
      id,
    ]);
    return rows.length === 1;
  }

  async isEmpty(): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM users LIMIT 1');
    return rows.length === 0;
  }
}
