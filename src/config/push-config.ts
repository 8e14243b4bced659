import { readFileSync } from 'node:fs';

/**
 * Push notifications (issue 12, README "Push notifications"): which senders
 * are configured and how the queue is worked. Read by loadConfig; an invalid
 * value stops the server with a message naming the variable. With no sender
 * configured nothing is queued and the send path does no extra work.
 */
export interface PushConfig {
  webhook?: { url: string; secret: string };
  fcm?: { account: ServiceAccount; endpoint: string };
  /** How often each node's worker looks for due pushes (it also wakes when this node queues one). */
  pollMs: number;
  /** How long a leased push stays invisible to other nodes; a killed node's pushes are retried after it. */
  leaseMs: number;
  /** Longest wait for a provider's answer (then retried like a 5xx). */
  timeoutMs: number;
  /** Retry delays double from this (with jitter) ... */
  retryBaseMs: number;
  /** ... up to this. */
  retryMaxMs: number;
  /** A push still failing this long after it was queued is dead-lettered. */
  retryForMs: number;
  /** Pushes leased per statement. */
  batchSize: number;
  /** Dead letters are deleted this many days after they died. */
  deadLetterDays: number;
}

/** The fields of a Google service account key file that the FCM sender uses. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  token_uri: string;
}

type Env = Record<string, string | undefined>;
type Fail = (message: string) => Error;

export const PUSH_SENDERS = ['webhook', 'fcm'] as const;
export type PushSenderKind = (typeof PUSH_SENDERS)[number];

/** The senders `config` turns on, in a fixed order. */
export function pushSenders(config: PushConfig): PushSenderKind[] {
  return PUSH_SENDERS.filter((kind) => config[kind] !== undefined);
}

export function readPushConfig(
  env: Env,
  readInt: (name: string, fallback: number, min: number, max: number) => number,
  fail: Fail,
): PushConfig {
  const config: PushConfig = {
    pollMs: readInt('PUSH_POLL_MS', 1000, 10, 3_600_000),
    leaseMs: readInt('PUSH_LEASE_MS', 60_000, 100, 86_400_000),
    timeoutMs: readInt('PUSH_TIMEOUT_MS', 10_000, 10, 600_000),
    retryBaseMs: readInt('PUSH_RETRY_BASE_MS', 1000, 1, 3_600_000),
    retryMaxMs: readInt('PUSH_RETRY_MAX_MS', 600_000, 1, 86_400_000),
    retryForMs: readInt('PUSH_RETRY_FOR_MS', 86_400_000, 0, 30 * 86_400_000),
    batchSize: readInt('PUSH_BATCH_SIZE', 100, 1, 10_000),
    deadLetterDays: readInt('PUSH_DEAD_LETTER_DAYS', 7, 1, 3650),
  };
  if (config.leaseMs <= config.timeoutMs) {
    throw fail(
      `PUSH_LEASE_MS (${config.leaseMs}) must be longer than PUSH_TIMEOUT_MS (${config.timeoutMs}): ` +
        'a push still being sent must not be leased by another node',
    );
  }
  const url = env.PUSH_WEBHOOK_URL?.trim();
  const secret = env.PUSH_WEBHOOK_SECRET ?? '';
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw fail('PUSH_WEBHOOK_URL must be a URL like https://app.example.com/chat-push');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw fail(
        `PUSH_WEBHOOK_URL must start with https:// or http://, got "${parsed.protocol}//"`,
      );
    }
    if (secret.length < 16) {
      throw fail(
        'PUSH_WEBHOOK_SECRET must be set, at least 16 characters, when PUSH_WEBHOOK_URL is (it signs every push)',
      );
    }
    config.webhook = { url, secret };
  } else if (secret) {
    throw fail('PUSH_WEBHOOK_SECRET is set but PUSH_WEBHOOK_URL is not');
  }
  const account = readServiceAccount(env, fail);
  if (account) {
    const base = env.FCM_ENDPOINT?.trim() || 'https://fcm.googleapis.com';
    try {
      new URL(base);
    } catch {
      throw fail('FCM_ENDPOINT must be a URL like https://fcm.googleapis.com');
    }
    config.fcm = {
      account,
      endpoint: `${base.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(account.project_id)}/messages:send`,
    };
  }
  return config;
}

function readServiceAccount(env: Env, fail: Fail): ServiceAccount | undefined {
  const file = env.FCM_SERVICE_ACCOUNT_FILE?.trim();
  const inline = env.FCM_SERVICE_ACCOUNT_JSON?.trim();
  if (file && inline) {
    throw fail('set FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON, not both');
  }
  if (!file && !inline) return undefined;
  const variable = file ? 'FCM_SERVICE_ACCOUNT_FILE' : 'FCM_SERVICE_ACCOUNT_JSON';
  let text: string;
  try {
    text = file ? readFileSync(file, 'utf8') : inline!;
  } catch (error) {
    throw fail(`${variable}: cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw fail(`${variable} must hold a service account key (JSON), and it does not parse`);
  }
  const account = {
    project_id: parsed.project_id,
    client_email: parsed.client_email,
    private_key: parsed.private_key,
    token_uri: parsed.token_uri ?? 'https://oauth2.googleapis.com/token',
  };
  for (const [key, value] of Object.entries(account)) {
    if (typeof value !== 'string' || value === '') {
      throw fail(`${variable}: the service account key has no "${key}"`);
    }
  }
  if (!(account.private_key as string).includes('BEGIN PRIVATE KEY')) {
    throw fail(`${variable}: "private_key" must be a PKCS#8 PEM key, as Google issues them`);
  }
  return account as ServiceAccount;
}
