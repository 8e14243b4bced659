import { importPKCS8, SignJWT } from 'jose';
import type { PushSenderKind, ServiceAccount } from '../config/push-config.js';
import type { NewMessageRow } from '../messages/message-row.mapper.js';
import type { LeasedPush } from './push.repository.js';
import {
  describeFetchError,
  isRetryableStatus,
  PushSender,
  retryAfterMs,
  type SendOutcome,
} from './push-sender.js';

const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** An access token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 60_000;
/** FCM's error codes that mean the token is dead: the device token is removed. */
const DEAD_TOKEN_CODES = new Set(['UNREGISTERED', 'INVALID_ARGUMENT']);

/**
 * Longest notification body, in code points: FCM refuses a message over 4 KB
 * with INVALID_ARGUMENT, which would also cost the device its token.
 */
export const BODY_MAX = 240;

/** What a notification says for a message: its text (cut), or what it carries (messageType 1 and 2). */
export function notificationBody(row: Pick<NewMessageRow, 'messageType' | 'message'>): string {
  if (row.messageType === 1) return 'Photo';
  if (row.messageType === 2) return 'Video';
  const points = [...row.message];
  return points.length <= BODY_MAX ? row.message : `${points.slice(0, BODY_MAX - 1).join('')}…`;
}

/** The FCM HTTP v1 message for one device token. */
export function fcmMessage(push: LeasedPush, token: string): Record<string, unknown> {
  const row = JSON.parse(push.payload) as NewMessageRow;
  const thread = `conversation-${row.chatConstantId}`;
  return {
    message: {
      token,
      notification: {
        title: [...row.senderName].slice(0, 100).join(''),
        body: notificationBody(row),
      },
      // FCM data values must be strings.
      data: {
        type: 'new_message',
        deliveryId: push.deliveryId,
        messageId: String(row.id),
        chatConstantId: String(row.chatConstantId),
        senderId: String(row.senderId),
        receiverId: String(row.receiverId),
      },
      android: {
        collapse_key: thread,
        notification: { tag: thread, notification_count: push.unreadCount },
      },
      apns: { payload: { aps: { 'thread-id': thread, badge: push.unreadCount } } },
    },
  };
}

interface FcmError {
  error?: {
    code?: number;
    status?: string;
    message?: string;
    details?: Array<{ '@type'?: string; errorCode?: string }>;
  };
}

/** FCM's errorCode (details[].errorCode), else the status (INVALID_ARGUMENT, ...). */
function fcmErrorCode(body: FcmError): string | undefined {
  const detail = body.error?.details?.find((d) => typeof d.errorCode === 'string');
  return detail?.errorCode ?? body.error?.status;
}

/**
 * Firebase Cloud Messaging, HTTP v1: one request per device token, with an
 * OAuth access token minted from the service account (a JWT assertion signed
 * with its key, exchanged at its token_uri: Google's "server to server" flow,
 * done with jose, already a dependency, instead of google-auth-library and
 * its dependency tree).
 */
export class FcmSender extends PushSender {
  readonly kind: PushSenderKind = 'fcm';
  private accessToken?: { value: string; expiresAt: number };
  private minting?: Promise<string>;

  constructor(
    private readonly account: ServiceAccount,
    private readonly endpoint: string,
    private readonly timeoutMs: number,
    /** Called with tokens FCM says are dead. */
    private readonly removeTokens: (tokens: string[]) => Promise<void>,
  ) {
    super();
  }

  async send(push: LeasedPush, signal: AbortSignal): Promise<SendOutcome> {
    const targets = push.devices.filter(({ token }) => !push.doneTargets.includes(token));
    if (push.devices.length === 0) return { kind: 'skipped' };
    if (targets.length === 0) return { kind: 'sent' };
    let accessToken: string;
    try {
      accessToken = await this.token(signal);
    } catch (error) {
      return { kind: 'retry', error: `no FCM access token: ${describeFetchError(error)}` };
    }
    const done = [...push.doneTargets];
    const dead: string[] = [];
    const retry: Array<{ error: string; retryAfterMs?: number }> = [];
    const refused: string[] = [];
    await Promise.all(
      targets.map(async ({ token }) => {
        const result = await this.sendOne(push, token, accessToken, signal);
        if (result.kind === 'sent') done.push(token);
        else if (result.kind === 'dead') dead.push(token);
        else if (result.kind === 'retry') retry.push(result);
        else refused.push(result.error);
      }),
    );
    if (dead.length > 0) await this.removeTokens(dead);
    if (retry.length > 0) {
      return {
        kind: 'retry',
        error: retry[0].error,
        retryAfterMs: Math.max(0, ...retry.map((r) => r.retryAfterMs ?? 0)) || undefined,
        doneTargets: done,
      };
    }
    if (done.length > 0) return { kind: 'sent' };
    if (refused.length === 0) return { kind: 'skipped' }; // every token was dead, and is gone now
    return { kind: 'rejected', error: refused[0] };
  }

  private async sendOne(
    push: LeasedPush,
    token: string,
    accessToken: string,
    signal: AbortSignal,
  ): Promise<
    | { kind: 'sent' }
    | { kind: 'dead' }
    | { kind: 'retry'; error: string; retryAfterMs?: number }
    | { kind: 'refused'; error: string }
  > {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${accessToken}`,
        },
        body: JSON.stringify(fcmMessage(push, token)),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
      });
    } catch (error) {
      return { kind: 'retry', error: describeFetchError(error) };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { kind: 'sent' };
    let body: FcmError = {};
    try {
      body = JSON.parse(text) as FcmError;
    } catch {
      // not FCM's JSON (a proxy's page): the status decides
    }
    const code = fcmErrorCode(body);
    const error = `FCM answered ${response.status}${code ? ` ${code}` : ''}`;
    if (code && DEAD_TOKEN_CODES.has(code)) return { kind: 'dead' };
    if (response.status === 401) {
      // The access token was refused (expired early, revoked): mint a new one next time.
      this.accessToken = undefined;
      return { kind: 'retry', error };
    }
    if (isRetryableStatus(response.status)) {
      return {
        kind: 'retry',
        error,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
    }
    return { kind: 'refused', error };
  }

  /** A cached access token, or a new one (one request at a time, shared). */
  private token(signal: AbortSignal): Promise<string> {
    if (this.accessToken && this.accessToken.expiresAt - TOKEN_MARGIN_MS > Date.now()) {
      return Promise.resolve(this.accessToken.value);
    }
    this.minting ??= this.mint(signal).finally(() => (this.minting = undefined));
    return this.minting;
  }

  private async mint(signal: AbortSignal): Promise<string> {
    const key = await importPKCS8(this.account.private_key, 'RS256');
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(this.account.client_email)
      .setAudience(this.account.token_uri)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    const response = await fetch(this.account.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString(),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`the token endpoint answered ${response.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error('the token endpoint answered without access_token');
    this.accessToken = {
      value: body.access_token,
      expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    };
    return body.access_token;
  }
}
