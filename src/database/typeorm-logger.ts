import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerContract } from 'typeorm';

/** Longest stretch of a failed query's SQL that is logged. */
const MAX_SQL_LENGTH = 500;

/**
 * TypeORM's messages as JSON log lines through Nest's logger (pino), instead
 * of its console loggers' plain text: failed queries (with their SQL, never
 * their parameters, which carry users' messages), node-postgres pool errors
 * (TypeORM's pool 'error' handler logs through here), migrations and warnings.
 * Successful queries are not logged.
 */
export class TypeOrmLogger implements TypeOrmLoggerContract {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {
    // Every query: far too many lines; Postgres's own log_statement is there for that.
  }

  logQueryError(error: string | Error, query: string, parameters?: unknown[] | object): void {
    const message = error instanceof Error ? error.message : String(error);
    const count = Array.isArray(parameters) ? parameters.length : 0;
    this.logger.warn(
      `query failed: ${message} -- ${shorten(query)}${count ? ` (${count} parameters, not logged)` : ''}`,
    );
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${shorten(query)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = message instanceof Error ? message.message : String(message);
    if (level === 'warn') this.logger.warn(text);
    else this.logger.log(text);
  }
}

function shorten(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_SQL_LENGTH ? `${oneLine.slice(0, MAX_SQL_LENGTH)}…` : oneLine;
}
