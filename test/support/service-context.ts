import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module.js';
import { loadConfig } from '../../src/config/app-config.js';
import { UsersService } from '../../src/users/users.service.js';

export interface ServiceContext {
  app: INestApplicationContext;
  dataSource: DataSource;
  get<T>(type: new (...args: any[]) => T): T;
  /** Empties every table and creates users with these ids (named "User <id>"). */
  reset(...userIds: number[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The app's providers without HTTP or sockets, on a real database (in-memory
 * PGlite, or DATABASE_URL when set): unit tests of service rules, no mocks.
 */
export async function createServiceContext(): Promise<ServiceContext> {
  const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: 'memory://' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: ['error'],
  });
  const dataSource = app.get(DataSource);
  const users = app.get(UsersService);
  return {
    app,
    dataSource,
    get: (type) => app.get(type),
    async reset(...userIds) {
      await dataSource.query(
        'TRUNCATE admin_audit, bans, reports, blocks, messages, chat_constants, users RESTART IDENTITY CASCADE',
      );
      for (const id of userIds) await users.upsertProfile(id, `User ${id}`, '');
    },
    close: () => app.close(),
  };
}
