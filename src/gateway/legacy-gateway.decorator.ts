import { applyDecorators, UseFilters, UseInterceptors } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { LegacyExceptionFilter } from '../common/legacy-exception.filter.js';
import { SocketEventInterceptor } from './socket-event.interceptor.js';

/**
 * A gateway on the app's one Socket.IO server whose every failure becomes the
 * contract's `exception` answer, with metrics and shutdown draining around
 * every handler. All feature gateways use it.
 */
export const LegacyGateway = (): ClassDecorator =>
  applyDecorators(
    WebSocketGateway(),
    UseFilters(LegacyExceptionFilter),
    UseInterceptors(SocketEventInterceptor),
  );
