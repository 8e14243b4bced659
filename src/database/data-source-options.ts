import { PGliteDriver } from 'typeorm-pglite';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { Conversation } from '../conversations/conversation.entity.js';
import { FeedEvent } from '../feed/feed-event.entity.js';
import { FeedHead } from '../feed/feed-head.entity.js';
import { Message } from '../messages/message.entity.js';
import { AuditEntry } from '../audit/audit-entry.entity.js';
import { Ban } from '../bans/ban.entity.js';
import { Block } from '../moderation/block.entity.js';
import { Report } from '../moderation/report.entity.js';
import { PushDelivery } from '../push/push-delivery.entity.js';
import { PushDevice } from '../push/push-device.entity.js';
import { User } from '../users/user.entity.js';
import { boundedClientClass, QUERY_ANSWER_MARGIN_MS } from './bounded-pg-client.js';
import { ExclusivePGlitePool } from './exclusive-pglite-pool.js';
import { TypeOrmLogger } from './typeorm-logger.js';
import { InitialSchema1764000000000 } from './migrations/1764000000000-InitialSchema.js';
import { MessageKeys1765000000000 } from './migrations/1765000000000-MessageKeys.js';
import { Feed1766000000000 } from './migrations/1766000000000-Feed.js';
import { ConversationLastMessage1767000000000 } from './migrations/1767000000000-ConversationLastMessage.js';
import { PushNotifications1768000000000 } from './migrations/1768000000000-PushNotifications.js';
import { Moderation1769000000000 } from './migrations/1769000000000-Moderation.js';

export const ENTITIES = [
  User,
  Conversation,
  Message,
  Block,
  Report,
  FeedHead,
  FeedEvent,
  PushDelivery,
  PushDevice,
  Ban,
  AuditEntry,
];
// Listed by class, not by glob: globs and ES modules do not mix well in TypeORM.
export const MIGRATIONS = [
  InitialSchema1764000000000,
  MessageKeys1765000000000,
  Feed1766000000000,
  ConversationLastMessage1767000000000,
  PushNotifications1768000000000,
  Moderation1769000000000,
];

/**
 * One code path for both databases: a real Postgres through node-postgres when
 * DATABASE_URL is set, otherwise PGlite (Postgres compiled to WASM) in-process.
 */
export function buildDataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'runMigrations'> &
    Partial<Pick<AppConfig, PoolTimeoutSetting>>,
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: config.runMigrations,
    synchronize: false,
    // JSON lines through pino, not TypeORM's console output (see TypeOrmLogger).
    logger: new TypeOrmLogger(),
  };
  if (config.databaseUrl) {
    return {
      ...common,
      url: config.databaseUrl,
      extra: { max: 10, options: SESSION_OPTIONS, ...poolTimeouts(config) },
    };
  }
  const dataDir = config.dataDir === 'memory://' ? undefined : config.dataDir;
  // The driver object sets PGlite's options; the pool lends its one connection exclusively.
  new PGliteDriver({ dataDir });
  return { ...common, driver: { Pool: ExclusivePGlitePool } };
}

/**
 * Postgres settings of every session of the server's pool. JIT off: the send
 * statement's estimated cost grows with the messages table (its never-run
 * retry branch is costed per input row) until it passes jit_above_cost, and
 * from then on every batch spent 100-300 ms compiling LLVM code for a few
 * milliseconds of work (2026-12-07: a one-message batch took 100-290 ms with
 * JIT, 4-5 ms without). Short OLTP statements never gain from JIT. An
 * `options` parameter in DATABASE_URL replaces this.
 */
export const SESSION_OPTIONS = '-c jit=off';

type PoolTimeoutSetting =
  | 'databaseConnectTimeoutMs'
  | 'databaseStatementTimeoutMs'
  | 'databaseIdleInTransactionTimeoutMs'
  | 'databaseKeepaliveMs';

/**
 * node-postgres pool options that bound every wait on Postgres (issue 10): a
 * connection attempt (or the wait for a free one), a statement (server side,
 * and client side a margin later, where the connection is destroyed), an
 * idle transaction, and TCP keepalive for idle connections. Left out (as for
 * migrations, whose statements may take long) when the config has none.
 */
function poolTimeouts(config: Partial<Pick<AppConfig, PoolTimeoutSetting>>) {
  if (config.databaseStatementTimeoutMs === undefined) return {};
  return {
    connectionTimeoutMillis: config.databaseConnectTimeoutMs,
    statement_timeout: config.databaseStatementTimeoutMs,
    idle_in_transaction_session_timeout: config.databaseIdleInTransactionTimeoutMs,
    keepAlive: (config.databaseKeepaliveMs ?? 0) > 0,
    keepAliveInitialDelayMillis: config.databaseKeepaliveMs,
    Client: boundedClientClass(config.databaseStatementTimeoutMs + QUERY_ANSWER_MARGIN_MS),
  };
}
