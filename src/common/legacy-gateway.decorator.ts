import { applyDecorators, UseFilters } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { LegacyExceptionFilter } from './legacy-exception.filter.js';

/**
 * A gateway on the app's one Socket.IO server whose every failure becomes the
 * contract's `exception` answer. All feature gateways use it.
 */
export const LegacyGateway = (): ClassDecorator =>
  applyDecorators(WebSocketGateway(), UseFilters(LegacyExceptionFilter));
