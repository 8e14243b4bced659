import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/app-config.js';
import { redactQuery, redactUrl } from './redact-url.js';

const QUIET_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** pino-http's request record, with secret query parameters and Referer redacted (a copy: the record shares objects with the request). */
function withoutSecretsInUrls(request: Record<string, any>): Record<string, any> {
  const headers = request.headers as Record<string, unknown> | undefined;
  const referer = headers?.referer;
  return Object.assign(Object.create(Object.getPrototypeOf(request) as object) as object, request, {
    url: redactUrl(request.url as string | undefined),
    query: redactQuery(request.query),
    ...(typeof referer === 'string'
      ? { headers: { ...headers, referer: redactUrl(referer) } }
      : {}),
  });
}

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
            // Tokens never reach the logs: neither in headers nor in query strings.
            redact: [
              'req.headers.authorization',
              'req.headers["proxy-authorization"]',
              'req.headers.cookie',
              'req.headers["x-api-key"]',
            ],
            serializers: { req: withoutSecretsInUrls },
          },
        }),
      ],
    };
  }
}
