import { Logger } from '@nestjs/common';
import pg from 'pg';

/** What a statement may take past statement_timeout before its connection counts as dead. */
export const QUERY_ANSWER_MARGIN_MS = 2_000;

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * A node-postgres client that destroys its connection when a statement has
 * had no answer within `queryTimeoutMs`. The server ends slow statements
 * itself (statement_timeout); a statement still unanswered a margin later
 * sits on a dead or black-holed connection, which TCP alone would keep for
 * minutes. Destroying it fails that query (and only it) with a connection
 * error, and the pool drops the client and opens a new one when needed.
 * node-postgres's own `query_timeout` only fails the query and keeps the
 * connection, with the statement still on it.
 */
export function boundedClientClass(queryTimeoutMs: number): typeof pg.Client {
  const logger = new Logger('Database');
  return class BoundedClient extends pg.Client {
    override query(...args: unknown[]): any {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        logger.warn(
          `a statement had no answer within ${queryTimeoutMs} ms: closing its connection`,
        );
        destroyConnection(this);
      }, queryTimeoutMs);
      timer.unref();
      const finish = () => {
        done = true;
        clearTimeout(timer);
      };
      const last = args.length - 1;
      if (typeof args[last] === 'function') {
        const callback = args[last] as Callback;
        args[last] = (error: Error | null, result?: unknown) => {
          finish();
          callback(error, result);
        };
      }
      const result: unknown = (super.query as (...a: unknown[]) => unknown)(...args);
      if (result instanceof Promise) {
        result.then(finish, finish);
      } else if (typeof args[last] !== 'function') {
        // A streaming query object: it ends when its connection is free again.
        finish();
      }
      return result;
    }
  };
}

/** Ends a client's TCP connection at once; its pending queries fail with "Connection terminated". */
export function destroyConnection(client: pg.ClientBase): void {
  (
    client as unknown as { connection?: { stream?: { destroy(): void } } }
  ).connection?.stream?.destroy();
}
