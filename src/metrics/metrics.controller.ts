import { ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ChatMetrics } from './chat-metrics.js';

/** `GET /metrics` in the Prometheus text format. Keep it off the public internet (see README). */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ChatMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
