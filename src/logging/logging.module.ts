import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/app-config.js';

const QUIET_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * JSON logs through pino. Every HTTP request logs with its `reqId` (the
 * caller's X-Request-Id, or a new one, echoed back); every socket event with
 * its `eventId` (see LegacyIoAdapter). Level from LOG_LEVEL.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (request: IncomingMessage, response: ServerResponse) => {
              const given = request.headers['x-request-id'];
              const id =
                typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
              response.setHeader('X-Request-Id', id);
              return id;
            },
            autoLogging: {
              ignore: (request: IncomingMessage) =>
                QUIET_PATHS.has(request.url?.split('?')[0] ?? ''),
            },
            // Tokens never reach the logs.
            redact: ['req.headers.authorization', 'req.headers.cookie'],
          },
        }),
      ],
    };
  }
}
