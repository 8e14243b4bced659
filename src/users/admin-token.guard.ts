import {
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { setAdminActor } from './admin-actor.js';
import { AdminAuthLimiter } from './admin-auth-limiter.js';

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`; with no ADMIN_TOKEN the admin API does
 * not exist (404). Wrong tokens are counted per client address (`req.ip`: the
 * TCP peer, or the X-Forwarded-For entry that TRUST_PROXY designates): after
 * ADMIN_AUTH_MAX_FAILURES of them (each answered 401), the address gets 429
 * with Retry-After for ADMIN_AUTH_WINDOW_SECONDS, whatever token it sends.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly limiter: AdminAuthLimiter,
    private readonly metrics: ChatMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const expected = this.config.adminToken;
    if (!expected) throw new NotFoundException();
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const right = match !== null && sameSecret(match[1].trim(), expected);
    if (right) {
      // A blocked address gets 429 for the right token too: a guesser must not tell it apart.
      const blockedMs = await this.limiter.blockedFor(address);
      if (blockedMs > 0) this.refuse(http.getResponse<Response>(), blockedMs);
      setAdminActor(request, this.config.adminTokenLabel);
      return true;
    }
    // Counted before answering, atomically: concurrent guesses cannot all slip
    // through a check made before any of them was counted.
    const blockedMs = await this.limiter.failed(address);
    if (blockedMs > 0) this.refuse(http.getResponse<Response>(), blockedMs);
    this.metrics.refusals.inc({ reason: 'admin_token_wrong' });
    throw new UnauthorizedException('missing or wrong admin token');
  }

  private refuse(response: Response, blockedMs: number): never {
    const seconds = Math.ceil(blockedMs / 1000);
    this.metrics.refusals.inc({ reason: 'admin_address_blocked' });
    response.setHeader('Retry-After', String(seconds));
    throw new HttpException(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `too many wrong admin tokens from this address; retry in ${seconds} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
