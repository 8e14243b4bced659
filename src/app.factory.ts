import 'reflect-metadata';
import {
  ConsoleLogger,
  type INestApplication,
  type LogLevel as NestLogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { serveOpenApi } from './admin/openapi.js';
import { AppModule } from './app.module.js';
import { AppConfig, LOG_LEVELS } from './config/app-config.js';
import { hardenHttp } from './common/http-hardening.js';
import { LegacyIoAdapter } from './gateway/legacy-io.adapter.js';
import { UsersService } from './users/users.service.js';

/**
 * Builds and starts the whole server (HTTP + Socket.IO on one port). Used by
 * main.ts and by the e2e tests, so tests run exactly what production runs.
 * Stopping is `app.close()`: it drains first (see ServerLifecycle).
 */
export async function startApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    // Until pino takes over (and if start-up fails before it can), JSON lines too.
    logger: new ConsoleLogger({ json: true, logLevels: nestLevels(config.logLevel) }),
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const adapter = new LegacyIoAdapter(app, config);
  await adapter.prepare();
  app.useWebSocketAdapter(adapter);
  app.useBodyParser('json', { limit: '100kb' });
  hardenHttp(app, config);
  if (config.adminToken) serveOpenApi(app);
  await app.init();
  if (config.demoUsers) await app.get(UsersService).createDemoUsersIfEmpty();
  await app.listen(config.port, '0.0.0.0');
  return app;
}

/** Nest's levels at or above a pino level (pino's `info` is Nest's `log`). */
function nestLevels(level: AppConfig['logLevel']): NestLogLevel[] {
  const nest: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const rank = LOG_LEVELS.indexOf(level);
  return level === 'silent' ? [] : nest.slice(0, rank + 1);
}
