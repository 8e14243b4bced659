import type { PushSenderKind } from '../config/push-config.js';
import type { LeasedPush } from './push.repository.js';

/** What became of one attempt at a push. */
export type SendOutcome =
  /** The provider accepted it (fcm: at least one device, and none is left to retry). */
  | { kind: 'sent' }
  /** Nothing to send to (fcm: no device token). */
  | { kind: 'skipped' }
  /** Worth another attempt (timeout, network, 5xx, 429); `retryAfterMs` from Retry-After. */
  | { kind: 'retry'; error: string; retryAfterMs?: number; doneTargets?: string[] }
  /** Refused for good (a 4xx other than 429): dead-lettered. */
  | { kind: 'rejected'; error: string };

/** One way to reach a receiver: the app's webhook or FCM. */
export abstract class PushSender {
  abstract readonly kind: PushSenderKind;
  /** `signal` aborts on shutdown. Never throws: every failure is an outcome. */
  abstract send(push: LeasedPush, signal: AbortSignal): Promise<SendOutcome>;
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The provider's status decides: 429 and 5xx (and 408) are worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A fetch failure as text: a timeout says so (the cause of a network error is more telling). */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time (PUSH_TIMEOUT_MS)';
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
