import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { startApp } from '../../src/app.factory.js';
import { BansService } from '../../src/bans/bans.service.js';
import { loadConfig } from '../../src/config/app-config.js';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestServer {
  app: INestApplication;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Creates or replaces a user through the real admin API. */
  createUser(id: number, name?: string, image?: string | null): Promise<void>;
  /** Empties every table (between tests). */
  reset(): Promise<void>;
  /** Runs a read-only SQL query, for asserting what was stored. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Boots the real app on a free port. Embedded in-memory PGlite unless
 * DATABASE_URL is set, in which case the same tests run against that Postgres.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    PORT: '0',
    DATA_DIR: 'memory://',
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    // With REDIS_URL set, the suite runs through the Redis adapter and shared presence,
    // each server in its own key space so parallel test servers never hear each other.
    REDIS_URL: process.env.REDIS_URL,
    REDIS_KEY_PREFIX: `test-${process.pid}-${randomUUID()}`,
    ...env,
  });
  const app = await startApp(config);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const dataSource = app.get(DataSource);
  return {
    app,
    url,
    port,
    async createUser(id, name = `User ${id}`, image = '') {
      const response = await fetch(`${url}/admin/users/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ name, image }),
      });
      if (response.status !== 200) {
        throw new Error(`createUser(${id}) failed: ${response.status} ${await response.text()}`);
      }
    },
    async reset() {
      await dataSource.query(
        'TRUNCATE admin_audit, bans, feed_events, feed_heads, reports, blocks, messages, chat_constants, users RESTART IDENTITY CASCADE',
      );
      // This node's memory of the bans follows the table.
      await app.get(BansService).reload();
    },
    query: (sql, params) => dataSource.query(sql, params),
    close: () => app.close(),
  };
}
