import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Injectable,
  Logger,
  NestInterceptor,
} from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { WsException } from '@nestjs/websockets';
import { catchError, Observable, tap, throwError } from 'rxjs';
import { DomainError } from '../errors/domain-errors.js';
import { ServerLifecycle } from '../lifecycle/server-lifecycle.js';
import { ChatMetrics, type EventOutcome } from '../metrics/chat-metrics.js';

/**
 * Around every socket handler (validation included): refuses new work while
 * the node drains, and records each event's outcome and duration.
 */
@Injectable()
export class SocketEventInterceptor implements NestInterceptor {
  private readonly logger = new Logger('SocketEvents');

  constructor(
    private readonly lifecycle: ServerLifecycle,
    private readonly metrics: ChatMetrics,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const event = String(context.switchToWs().getPattern());
    const started = process.hrtime.bigint();
    const record = (outcome: EventOutcome) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.events.inc({ event, outcome });
      this.metrics.eventDuration.observe({ event }, seconds);
      // One line per event at debug level, carrying the event's correlation id.
      if (PinoLogger.root?.isLevelEnabled('debug')) {
        this.logger.debug(`${event}: ${outcome} in ${(seconds * 1000).toFixed(1)} ms`);
      }
    };
    if (this.lifecycle.draining) {
      record('refused');
      return throwError(
        () => new WsException('the server is shutting down; reconnect and send again'),
      );
    }
    return next.handle().pipe(
      tap({ complete: () => record('ok') }),
      catchError((error: unknown) => {
        const refused =
          error instanceof DomainError ||
          error instanceof WsException ||
          error instanceof HttpException;
        record(refused ? 'refused' : 'error');
        return throwError(() => error);
      }),
    );
  }
}
