import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { isEmbedded } from '../database/data-source-options.js';
import { ServerLifecycle } from '../lifecycle/server-lifecycle.js';
import { RedisConnections } from '../redis/redis-connections.js';

/**
 * `GET /health`: 200 when the database (and Redis, when configured) answers
 * and the node is not draining; 503 otherwise, so a load balancer stops
 * sending it new clients.
 */
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly redis: RedisConnections,
    private readonly lifecycle: ServerLifecycle,
  ) {}

  @Get()
  @HttpCode(200)
  async check(): Promise<Record<string, unknown>> {
    const database = isEmbedded(this.config) ? 'embedded' : 'postgres';
    const [databaseUp, redisUp] = await Promise.all([this.databaseUp(), this.redis.isUp()]);
    const report = {
      status: 'ok',
      database,
      databaseUp,
      redis: redisUp === undefined ? 'off' : 'configured',
      ...(redisUp === undefined ? {} : { redisUp }),
      draining: this.lifecycle.draining,
      uptime: Math.round(process.uptime()),
    };
    if (!databaseUp || redisUp === false || this.lifecycle.draining) {
      throw new ServiceUnavailableException({
        ...report,
        status: this.lifecycle.draining ? 'draining' : 'error',
      });
    }
    return report;
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
