import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig, isEmbedded } from '../config/app-config.js';

/** Longest the health checks wait for the database's answer. */
export const PROBE_TIMEOUT_MS = 2_000;

const TIMED_OUT = Symbol('timed out');

/**
 * Whether the database answers `SELECT 1` within PROBE_TIMEOUT_MS on the pool
 * that serves requests (a fresh connection elsewhere would say yes while the
 * pool's connections hang). One probe at a time: checks that come meanwhile
 * share its answer, so a hanging database never collects a probe per request.
 * A connection that does not answer in time is destroyed, not handed back.
 */
@Injectable()
export class DatabaseProbe {
  private readonly embedded: boolean;
  private running?: Promise<boolean>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.embedded = isEmbedded(config);
  }

  answers(): Promise<boolean> {
    this.running ??= this.probe().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probe(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), PROBE_TIMEOUT_MS);
    });
    try {
      if (this.embedded) {
        const query = this.dataSource.query('SELECT 1');
        query.catch(() => undefined);
        return (await Promise.race([query, timeout])) !== TIMED_OUT;
      }
      return await this.probePool(timeout);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async probePool(timeout: Promise<typeof TIMED_OUT>): Promise<boolean> {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const connecting = pool.connect();
    const client = await Promise.race([connecting, timeout]);
    if (client === TIMED_OUT) {
      // Handed back whenever it comes (pg-pool's connect timeout ends the wait).
      connecting.then(
        (late) => late.release(),
        () => undefined,
      );
      return false;
    }
    return this.ask(client, timeout);
  }

  private async ask(client: PoolClient, timeout: Promise<typeof TIMED_OUT>): Promise<boolean> {
    const onError = () => undefined;
    client.on('error', onError);
    const query = client.query('SELECT 1');
    try {
      if ((await Promise.race([query, timeout])) === TIMED_OUT) {
        query.catch(() => undefined);
        client.removeListener('error', onError);
        client.release(new Error('no answer to the health probe'));
        return false;
      }
      client.removeListener('error', onError);
      client.release();
      return true;
    } catch (error) {
      client.removeListener('error', onError);
      client.release(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }
}
