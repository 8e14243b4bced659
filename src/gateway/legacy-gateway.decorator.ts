import { applyDecorators, UseFilters, UseInterceptors } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { ActingUserChecks } from '../common/acting-user.js';
import { LegacyExceptionFilter } from '../common/legacy-exception.filter.js';
import { SocketEventInterceptor } from './socket-event.interceptor.js';

/**
 * A gateway on the app's one Socket.IO server whose every failure becomes the
 * contract's `exception` answer, with metrics and shutdown draining around
 * every handler, and whose every handler checks its acting user (`@ActsAs`,
 * or `@BindsIdentity` for connect_user; see ActingUserChecks). All feature
 * gateways use it.
 */
export const LegacyGateway = (): ClassDecorator =>
  applyDecorators(
    WebSocketGateway(),
    UseFilters(LegacyExceptionFilter),
    UseInterceptors(SocketEventInterceptor),
    ActingUserChecks(),
  );
