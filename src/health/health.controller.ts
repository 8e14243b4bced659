import { ApiTags } from '@nestjs/swagger';
import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { AppConfig, isEmbedded } from '../config/app-config.js';
import { ServerLifecycle } from '../lifecycle/server-lifecycle.js';
import { SendBatcher } from '../messages/send-batcher.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { DatabaseProbe } from './database-probe.js';

/**
 * Health for load balancers and orchestrators:
 * - `GET /health/live`: the process works (it answers at all: its event loop
 *   turns). Restart the node when this fails, and only then.
 * - `GET /health/ready`: the node can store messages: the database answers
 *   on the pool that serves requests, no send has waited longer than
 *   SEND_BATCH_TIMEOUT_MS, and the node is not draining. Send it traffic only
 *   while this is 200. A Redis outage does not make it 503 (every node would
 *   leave the load balancer at once): it reports `degraded`.
 * - `GET /health`: the combined answer of before (its fields are kept): 200
 *   when the database (and Redis, when configured) answers and the node is
 *   not draining; 503 otherwise.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisConnections,
    private readonly lifecycle: ServerLifecycle,
    private readonly database: DatabaseProbe,
    private readonly sends: SendBatcher,
  ) {}

  @Get()
  @HttpCode(200)
  async check(): Promise<Record<string, unknown>> {
    const database = isEmbedded(this.config) ? 'embedded' : 'postgres';
    const [databaseUp, redisUp] = await Promise.all([this.database.answers(), this.redis.isUp()]);
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

  @Get('live')
  @HttpCode(200)
  live(): Record<string, unknown> {
    return { status: 'ok', uptime: Math.round(process.uptime()) };
  }

  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<Record<string, unknown>> {
    const [databaseUp, redisUp] = await Promise.all([this.database.answers(), this.redis.isUp()]);
    const oldestSendMs = Math.round(this.sends.oldestWaitingMs());
    const sendsStuck = oldestSendMs > this.config.sendBatchTimeoutMs;
    const report = {
      status: 'ok',
      databaseUp,
      sendsStuck,
      oldestSendMs,
      draining: this.lifecycle.draining,
      redis: redisUp === undefined ? 'off' : 'configured',
      ...(redisUp === undefined ? {} : { redisUp }),
      // Cross-node delivery and shared presence pause while Redis is down; storing goes on.
      degraded: redisUp === false,
    };
    if (!databaseUp || sendsStuck || this.lifecycle.draining) {
      throw new ServiceUnavailableException({
        ...report,
        status: this.lifecycle.draining ? 'draining' : 'error',
      });
    }
    return report;
  }
}
