import { createHmac } from 'node:crypto';
import type { PushSenderKind } from '../config/push-config.js';
import type { LeasedPush } from './push.repository.js';
import {
  describeFetchError,
  isRetryableStatus,
  PushSender,
  retryAfterMs,
  type SendOutcome,
} from './push-sender.js';

/** The webhook's body: `message` is the stored new_message row, spliced in as it is. */
export function webhookBody(push: LeasedPush): string {
  return (
    `{"type":"new_message","deliveryId":${JSON.stringify(push.deliveryId)},` +
    `"receiverId":${push.receiverId},"unreadCount":${push.unreadCount},"message":${push.payload}}`
  );
}

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`, as Stripe and GitHub sign webhooks. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs each push to the app's own backend (PUSH_WEBHOOK_URL), signed with
 * PUSH_WEBHOOK_SECRET; the backend owns device tokens and sends the push its
 * own way (README "Push notifications").
 */
export class WebhookSender extends PushSender {
  readonly kind: PushSenderKind = 'webhook';

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async send(push: LeasedPush, signal: AbortSignal): Promise<SendOutcome> {
    const body = webhookBody(push);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'legacy-chat-server push',
          'x-chat-delivery': push.deliveryId,
          'x-chat-timestamp': timestamp,
          'x-chat-signature': webhookSignature(this.secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
      });
    } catch (error) {
      return { kind: 'retry', error: describeFetchError(error) };
    }
    // The answer's body is not used; reading it frees the connection for the next push.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { kind: 'sent' };
    const error = `the webhook answered ${response.status}`;
    if (isRetryableStatus(response.status)) {
      return {
        kind: 'retry',
        error,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
    }
    return { kind: 'rejected', error };
  }
}
