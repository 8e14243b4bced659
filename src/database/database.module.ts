import { Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, isEmbedded } from '../config/app-config.js';
import { DataDirLock } from './data-dir-lock.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { openDataSource } from './run-migrations.js';

/** Holds the embedded database's directory lock for the life of the app. */
class EmbeddedLockHolder implements OnApplicationShutdown {
  constructor(private readonly lock: DataDirLock | null) {}
  onApplicationShutdown(): void {
    this.lock?.release();
  }
}

function createLock(config: AppConfig): DataDirLock | null {
  if (!isEmbedded(config) || config.dataDir === 'memory://') return null;
  const lock = new DataDirLock(config.dataDir);
  lock.acquire();
  return lock;
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, EmbeddedLockHolder],
      extraProviders: [
        {
          provide: EmbeddedLockHolder,
          inject: [AppConfig],
          useFactory: (c: AppConfig) => new EmbeddedLockHolder(createLock(c)),
        },
      ],
      useFactory: (config: AppConfig) => buildDataSourceOptions(config),
      dataSourceFactory: (options) => {
        if (!options) throw new Error('no data source options');
        const embedded = !('url' in options && options.url);
        return openDataSource(options, options.migrationsRun === true, embedded);
      },
    }),
  ],
})
export class DatabaseModule {}
