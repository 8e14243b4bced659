import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { isEmbedded, loadConfig } from '../config/app-config.js';
import { DataDirLock } from './data-dir-lock.js';
import { buildDataSourceOptions } from './data-source-options.js';

/**
 * The data source of the TypeORM CLI (`npm run migration:*`, via ormconfig.ts):
 * the same options as the server, from the same environment variables.
 */
const config = loadConfig();
if (isEmbedded(config) && config.dataDir !== 'memory://') {
  // PGlite allows one process per data directory: refuse while a server holds it.
  const lock = new DataDirLock(config.dataDir);
  lock.acquire();
  process.on('exit', () => lock.release());
}

// Without the serving pool's timeouts: a migration may take long.
export default new DataSource(
  buildDataSourceOptions({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    runMigrations: false,
  }),
);
