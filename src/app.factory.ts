import 'reflect-metadata';
import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import { LegacyIoAdapter } from './common/legacy-io.adapter.js';
import { UsersService } from './users/users.service.js';

export interface CreateAppOptions {
  logger?: LogLevel[] | false;
}

/**
 * Builds and starts the whole server (HTTP + Socket.IO on one port). Used by
 * main.ts and by the e2e tests, so tests run exactly what production runs.
 */
export async function startApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
  });
  app.useWebSocketAdapter(new LegacyIoAdapter(app, config));
  app.enableShutdownHooks();
  app.useBodyParser('json', { limit: '100kb' });
  await app.init();
  if (config.demoUsers) await app.get(UsersService).createDemoUsersIfEmpty();
  await app.listen(config.port, '0.0.0.0');
  return app;
}
