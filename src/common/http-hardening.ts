import { BadRequestException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';

/**
 * helmet's defaults (Content-Security-Policy, Strict-Transport-Security,
 * X-Content-Type-Options, X-Frame-Options, Cross-Origin-*-Policy, ...), one
 * instance for the HTTP API and for Engine.IO's own responses (see
 * LegacyIoAdapter): none of them changes what a Socket.IO client, browser or
 * not, may do with a polling answer (CORS decides that), and they keep a
 * browser from sniffing, framing or embedding any of it.
 */
export const securityHeaders = helmet();

/** No admin body has nested fields; more than this is refused before validation walks it. */
export const MAX_BODY_DEPTH = 32;

/**
 * Refuses a parsed JSON body nested deeper than MAX_BODY_DEPTH with 400.
 * JSON.parse copes with any depth the 100 kB limit allows (~50,000), but
 * class-transformer recurses and overflows the stack at a few thousand levels,
 * which used to answer 500. Iterative, so it cannot overflow itself.
 */
export function refuseDeepBodies(request: Request, _response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  if (body === null || typeof body !== 'object') return next();
  const stack: Array<[unknown, number]> = [[body, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) {
      return next(
        new BadRequestException(
          `request body is nested too deeply (more than ${MAX_BODY_DEPTH} levels)`,
        ),
      );
    }
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  next();
}

/**
 * The Express side of README "Security / HTTP", applied before any route:
 * no X-Powered-By, helmet's headers, the client address as TRUST_PROXY says,
 * and deep JSON bodies refused. Express routes send no CORS headers at all:
 * /health, /metrics and the admin API are for servers, not browser pages.
 * Call right after the JSON body parser is installed.
 */
export function hardenHttp(app: NestExpressApplication, config: AppConfig): void {
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders);
  app.use(refuseDeepBodies);
}
