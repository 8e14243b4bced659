import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Runs a fixed statement as a named (prepared) statement on Postgres: each
 * pooled connection parses and plans it once instead of on every call. For
 * the big reads (the listing, a sync page) planning was 1-1.7 ms of a 3-7 ms
 * statement. PGlite has no named statements: a plain query there.
 * `name` must be unique per statement text, and `text` must never vary.
 */
export async function namedQuery<T>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const options = dataSource.options as { url?: string };
  if (!options.url) return dataSource.query(text, values);
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const result = await pool.query<T & object>({ name, text, values });
  return result.rows;
}
