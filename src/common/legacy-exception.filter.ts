import { ArgumentsHost, Catch, HttpException, Injectable, Logger } from '@nestjs/common';
import { BaseWsExceptionFilter, WsException } from '@nestjs/websockets';
import { DomainError } from '../errors/domain-errors.js';
import { FloodControlService } from '../flood-control/flood-control.service.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import type { ChatSocket } from './chat-socket.js';

export interface ExceptionPayload {
  status: 'error';
  message: string;
  event: string;
}

/**
 * Every failure of a socket handler, expected or not, becomes the contract's
 * `exception` event on the calling socket only (and the ack, when given):
 * a service's DomainError and the socket layer's own refusals (WsException
 * from pipes, the interceptor) with their message, anything else as an
 * internal error. Nothing escapes to the socket layer, so no input can crash
 * the server.
 */
@Catch()
@Injectable()
export class LegacyExceptionFilter extends BaseWsExceptionFilter {
  private readonly logger = new Logger('SocketErrors');

  constructor(
    private readonly metrics: ChatMetrics,
    private readonly floodControl: FloodControlService,
  ) {
    super();
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const client = ws.getClient<ChatSocket>();
    const args = host.getArgs();
    // Args are [socket, data, ack?, pattern]; the ack is whichever is a function.
    const ack = args.slice(1, -1).find((arg) => typeof arg === 'function') as
      ((payload: unknown) => void) | undefined;
    const payload: ExceptionPayload = {
      status: 'error',
      message: this.messageOf(exception),
      event: String(ws.getPattern()),
    };
    try {
      client.emit('exception', payload);
      ack?.(payload);
      // A socket that keeps sending refused events without ever binding is closed.
      const closing =
        client.data.userId === undefined ? this.floodControl.unboundRefused(client) : undefined;
      if (closing) {
        client.emit('exception', { ...payload, message: closing.message });
        client.disconnect(true);
      }
    } catch (error) {
      this.logger.error(`could not report an error to socket ${client.id}: ${String(error)}`);
    }
  }

  private messageOf(exception: unknown): string {
    if (exception instanceof DomainError) return exception.message;
    if (exception instanceof WsException) {
      const error = exception.getError();
      return typeof error === 'string'
        ? error
        : String((error as { message?: unknown }).message ?? 'invalid request');
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const message =
        typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return Array.isArray(message) ? String(message[0]) : String(message ?? exception.message);
    }
    this.metrics.errors.inc({ source: 'socket_handler' });
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return 'internal server error: the request was not carried out, please retry';
  }
}
