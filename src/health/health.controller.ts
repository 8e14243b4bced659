import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isEmbedded } from '../database/data-source-options.js';
import { AppConfig } from '../config/app-config.js';

/** `GET /health`: 200 once sockets are accepted and the database answers, else 503. */
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @HttpCode(200)
  async check(): Promise<Record<string, unknown>> {
    const database = isEmbedded(this.config) ? 'embedded' : 'postgres';
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({ status: 'error', database, databaseUp: false });
    }
    return { status: 'ok', database, databaseUp: true, uptime: Math.round(process.uptime()) };
  }
}
