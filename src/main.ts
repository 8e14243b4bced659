import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { isEmbedded } from './database/data-source-options.js';

async function main(): Promise<void> {
  const logger = new Logger('Bootstrap');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(`Invalid configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await startApp(config);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const db = isEmbedded(config)
    ? `embedded PGlite in ${config.dataDir}`
    : 'Postgres at DATABASE_URL';
  logger.log(
    `Chat server listening on port ${port} (Socket.IO path ${config.socketPath}), database: ${db}`,
  );
  if (config.adminToken) {
    logger.log(
      `Add a user: curl -X PUT http://localhost:${port}/admin/users/1 -H 'Authorization: Bearer <ADMIN_TOKEN>' ` +
        `-H 'Content-Type: application/json' -d '{"name":"Alice","image":""}'`,
    );
  } else {
    logger.log(
      'Admin API is off (ADMIN_TOKEN unset). To add users, restart with ADMIN_TOKEN=<secret> and PUT /admin/users/:id, ' +
        'or with DEMO_USERS=true to create users 1 (Alice), 2 (Bob) and 3 (Carol) on an empty database.',
    );
  }
}

main().catch((error: unknown) => {
  new Logger('Bootstrap').error(
    error instanceof Error ? (error.stack ?? error.message) : String(error),
  );
  process.exit(1);
});
