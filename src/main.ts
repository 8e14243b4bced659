import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
import { pino } from 'pino';
import { startApp } from './app.factory.js';
import { AppConfig, ConfigError, isEmbedded, loadConfig } from './config/app-config.js';
import { logProcessEvents } from './logging/process-events.js';
import { ChatMetrics } from './metrics/chat-metrics.js';

/** Before the app exists (bad configuration, failed start-up), log with plain pino. */
const bootstrapLog = pino({ base: { context: 'Bootstrap' } });
/** Node's warnings, unhandled rejections and uncaught exceptions, as JSON lines too. */
const processLog = pino().child({ context: 'Process' });
const processCounters = logProcessEvents(processLog);

/**
 * SIGTERM/SIGINT: drain and close (see ServerLifecycle), then exit 0; if that
 * takes longer than SHUTDOWN_TIMEOUT_MS, exit 1 anyway.
 */
function stopOnSignals(app: INestApplication, config: AppConfig, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down within ${config.shutdownTimeoutMs} ms`);
    setTimeout(() => {
      logger.error(
        `shutdown took longer than SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; exiting`,
      );
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => {
        logger.log('shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      bootstrapLog.fatal(`Invalid configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  processLog.level = config.logLevel;
  const app = await startApp(config);
  const metrics = app.get(ChatMetrics);
  processCounters.rejection = () => metrics.errors.inc({ source: 'unhandled_rejection' });
  const logger = new Logger('Bootstrap');
  stopOnSignals(app, config, logger);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const db = isEmbedded(config)
    ? `embedded PGlite in ${config.dataDir}`
    : 'Postgres at DATABASE_URL';
  const nodes = config.redisUrl ? 'multi-node through Redis at REDIS_URL' : 'single node';
  logger.log(
    `Chat server listening on port ${port} (Socket.IO path ${config.socketPath}), database: ${db}, ${nodes}`,
  );
  if (config.adminToken) {
    logger.log(
      `Add a user: curl -X PUT http://localhost:${port}/admin/users/1 -H 'Authorization: Bearer <ADMIN_TOKEN>' ` +
        `-H 'Content-Type: application/json' -d '{"name":"Alice","image":""}'`,
    );
    logger.log(`Admin API and its OpenAPI document: http://localhost:${port}/admin/docs`);
    logger.log(`Web console (sign in with ADMIN_TOKEN): http://localhost:${port}/console`);
  } else {
    logger.log(
      'Admin API and web console are off (ADMIN_TOKEN unset). To add users, restart with ADMIN_TOKEN=<secret> and PUT /admin/users/:id, ' +
        'or with DEMO_USERS=true to create users 1 (Alice), 2 (Bob) and 3 (Carol) on an empty database.',
    );
  }
}

main().catch((error: unknown) => {
  bootstrapLog.fatal(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
