import { DataSource, type DataSourceOptions } from 'typeorm';

/** Any fixed number: the advisory lock that lets one node at a time migrate. */
const MIGRATION_LOCK_KEY = 7_310_042_001;

/**
 * Opens the data source and, when asked, runs pending migrations. On Postgres
 * several nodes may start at once (docker compose up): a session advisory
 * lock makes them migrate one after another, and the later ones find nothing
 * left to do. The embedded database has one process by construction (its
 * directory lock) and one connection, so it migrates without the lock.
 */
export async function openDataSource(
  options: DataSourceOptions,
  runMigrations: boolean,
  embedded: boolean,
): Promise<DataSource> {
  if (embedded) {
    const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
    if (runMigrations) await dataSource.runMigrations({ transaction: 'all' });
    return dataSource;
  }
  if (runMigrations) {
    // On a pool of its own without the serving pool's timeouts (statement
    // timeout, destroyed connections): a migration may take long (an index on
    // a big table), and so may the wait for another node's migration.
    const migrator = await new DataSource({
      ...options,
      migrationsRun: false,
      extra: { max: 2 },
    } as DataSourceOptions).initialize();
    try {
      await migrateUnderLock(migrator);
    } finally {
      await migrator.destroy();
    }
  }
  return new DataSource({ ...options, migrationsRun: false }).initialize();
}

async function migrateUnderLock(dataSource: DataSource): Promise<void> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await lockHolder
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await lockHolder.release();
  }
}
