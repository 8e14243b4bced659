import { readAuthConfig, type AuthConfig } from './auth-config.js';
import { isIP } from 'node:net';

/**
 * The server's whole configuration, read once from the environment and
 * validated at start-up: an invalid value stops the server with a message that
 * names the variable (see README "Configuration").
 */
export class AppConfig {
  /** Port for HTTP and Socket.IO (the legacy base URL used 8887). */
  port: number;
  /** Postgres connection string; unset means the embedded PGlite database. */
  databaseUrl?: string;
  /** Where the embedded database keeps its files; `memory://` keeps nothing. */
  dataDir: string;
  /** Run pending migrations at start-up. */
  runMigrations: boolean;
  /** Bearer token of the admin API; unset turns the admin API off (404). */
  adminToken?: string;
  /** Who the admin token acts as in the audit trail (ADMIN_TOKEN_LABEL). */
  adminTokenLabel: string;
  /** Create demo users 1, 2 and 3 when the users table is empty. */
  demoUsers: boolean;
  /** Longest accepted chat message, in Unicode code points. */
  messageMaxLength: number;
  /** Largest Socket.IO frame in bytes; a larger one closes only its socket. */
  maxHttpBufferSize: number;
  /** Socket.IO path. */
  socketPath: string;
  /**
   * Browser origins allowed by CORS on the Socket.IO path: `*` lets any origin
   * read answers without credentials; a list lets those origins in with credentials.
   */
  corsOrigins: '*' | string[];
  // --- Postgres timeouts and send bounds (issue 10); no-ops on the embedded database.
  /** Longest wait to open a Postgres connection, or for a free one from the pool. */
  databaseConnectTimeoutMs: number;
  /** Postgres statement_timeout; a statement unanswered this long plus a margin has its connection destroyed. */
  databaseStatementTimeoutMs: number;
  /** Postgres idle_in_transaction_session_timeout. */
  databaseIdleInTransactionTimeoutMs: number;
  /** TCP keepalive on pool connections: idle time before the first probe (0 turns keepalive off). */
  databaseKeepaliveMs: number;
  /** Longest a send batch statement may be in flight; then its connection is destroyed and its outcome resolved. */
  sendBatchTimeoutMs: number;
  /** Longest a send waits for its answer (queued, in flight, resolving) before it is refused. */
  sendTimeoutMs: number;
  // --- end of issue 10's Postgres settings
  /** How long a user's feed keeps its events (sync with an older position answers reset). */
  feedRetentionDays: number;
  /** How often each node deletes feed events older than the retention. */
  feedPruneIntervalMs: number;
  /** Redis for multi-node delivery and shared presence; unset means one node, no Redis. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so deployments (or tests) can share one Redis. */
  redisKeyPrefix: string;
  /** How long a node's presence entries outlive its last heartbeat (a killed node's users go offline after this). */
  presenceTtlMs: number;
  /** Longest a SIGTERM shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** pino log level. */
  logLevel: LogLevel;
  /** Token identity: AUTH_MODE and the key settings (see auth-config.ts). */
  auth: AuthConfig;
  // ---- HTTP hardening (issue 9, part 3)
  /** Express 'trust proxy': false (the TCP peer is the client), a hop count, or trusted proxy addresses. */
  trustProxy: false | number | string[];
  /** Failed admin-token attempts allowed per client address within adminAuthWindowSeconds. */
  adminAuthMaxFailures: number;
  /** Window of adminAuthMaxFailures, and how long an address that exceeds it is refused (429). */
  adminAuthWindowSeconds: number;
  /** Flood control (README "Security" > "Limits"): queue bounds, rate limits, socket cap. */
  limits: LimitsConfig;
}

/** No DATABASE_URL: the embedded PGlite database (a config question, so features need not import database/). */
export function isEmbedded(config: Pick<AppConfig, 'databaseUrl'>): boolean {
  return !config.databaseUrl;
}

/** Flood control and backpressure (README "Security" > "Limits"); see src/flood-control. */
export interface LimitsConfig {
  /** RATE_LIMITS: the per-user and per-socket rate limits (never the queue or node bounds). */
  rateLimits: boolean;
  /** send_message per user (and per socket): a second's worth, and the extra burst pool. */
  sendPerSecond: number;
  sendBurst: number;
  /** Every other event per user (and per socket), in points. */
  eventsPerSecond: number;
  eventsBurst: number;
  /** Points a get_message without `limit` (the whole history) costs. */
  fullHistoryCost: number;
  /** Events one socket may have waiting or running, and their estimated bytes. */
  socketQueueLimit: number;
  socketQueueBytes: number;
  /** Bytes of answers not yet written out to one socket over which its requests are refused. */
  socketOutboundBytes: number;
  /** Events the node may have waiting or running across all sockets, and their bytes. */
  nodePendingLimit: number;
  nodePendingBytes: number;
  /** Sockets one user may have bound on this node; a new one closes the oldest. */
  maxSocketsPerUser: number;
  /** Limit refusals within 10 s after which a socket is closed (0 = never). */
  refusalsBeforeDisconnect: number;
  /** Refused events before connect_user after which a socket is closed (0 = never). */
  unboundRefusalsBeforeDisconnect: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** An optional URL whose scheme is one of `schemes` (without "://"); `example` goes in the error. */
function readUrl(env: Env, name: string, schemes: string[], example: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${example}`);
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) {
    throw new ConfigError(
      `${name} must start with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}, got "${url.protocol}//"`,
    );
  }
  return raw;
}

function readLogLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`,
    );
  }
  return raw as LogLevel;
}

/** `*` (the default), or a comma-separated list of origins such as `https://app.example.com`. */
function readCorsOrigins(env: Env): '*' | string[] {
  const raw = env.CORS_ORIGIN?.trim();
  if (!raw || raw === '*') return '*';
  const origins = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // An origin is scheme://host[:port] and nothing else; browsers compare it exactly.
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGIN must be * or a comma-separated list of origins like https://app.example.com (scheme, host and port only), got "${origin}"`,
      );
    }
  }
  return origins;
}

const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Unset or `false`: the TCP peer is the client. A number: that many proxies in
 * front, each appending to X-Forwarded-For. Otherwise, comma-separated proxy
 * addresses, subnets (CIDR) or Express's names loopback, linklocal, uniquelocal.
 * `true` (trust every hop) is refused: any client could then pick its address.
 */
function readTrustProxy(env: Env): false | number | string[] {
  const raw = env.TRUST_PROXY?.trim().toLowerCase();
  if (!raw || raw === 'false' || raw === 'off' || raw === '0') return false;
  if (/^\d+$/.test(raw)) return readInt(env, 'TRUST_PROXY', 0, 0, 10);
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const prefixOk =
      prefix === undefined ||
      (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    const named = TRUST_PROXY_NAMES.includes(entry);
    if (!named && (family === 0 || !prefixOk || extra !== undefined)) {
      throw new ConfigError(
        `TRUST_PROXY must be false, a number of proxies (0 to 10), or a comma-separated list of proxy addresses, subnets or ${TRUST_PROXY_NAMES.join(', ')}; got "${env.TRUST_PROXY}"` +
          (entry === 'true'
            ? ' (true would let any client set its address with X-Forwarded-For)'
            : ''),
      );
    }
  }
  return entries;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const config = new AppConfig();
  config.port = readInt(env, 'PORT', 8887, 0, 65535);
  config.databaseUrl = readUrl(
    env,
    'DATABASE_URL',
    ['postgres', 'postgresql'],
    'postgres://user:pass@host:5432/db',
  );
  config.dataDir = env.DATA_DIR?.trim() || './data';
  config.runMigrations = readBool(env, 'RUN_MIGRATIONS', true);
  const adminToken = env.ADMIN_TOKEN?.trim();
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 8) {
    throw new ConfigError(
      'ADMIN_TOKEN must be at least 8 characters long (or unset to turn the admin API off)',
    );
  }
  config.adminToken = adminToken || undefined;
  config.adminTokenLabel = env.ADMIN_TOKEN_LABEL?.trim() || 'admin';
  if (config.adminTokenLabel.length > 100) {
    throw new ConfigError('ADMIN_TOKEN_LABEL must be at most 100 characters long');
  }
  config.demoUsers = readBool(env, 'DEMO_USERS', false);
  config.messageMaxLength = readInt(env, 'MESSAGE_MAX_LENGTH', 10_000, 1, 1_000_000);
  config.maxHttpBufferSize = readInt(
    env,
    'MAX_HTTP_BUFFER_SIZE',
    5 * 1024 * 1024,
    1024,
    100 * 1024 * 1024,
  );
  config.socketPath = env.SOCKET_PATH?.trim() || '/socket.io';
  if (!config.socketPath.startsWith('/')) {
    throw new ConfigError(`SOCKET_PATH must start with "/", got "${config.socketPath}"`);
  }
  config.corsOrigins = readCorsOrigins(env);
  // --- Postgres timeouts and send bounds (issue 10)
  config.databaseConnectTimeoutMs = readInt(
    env,
    'DATABASE_CONNECT_TIMEOUT_MS',
    5_000,
    100,
    600_000,
  );
  config.databaseStatementTimeoutMs = readInt(
    env,
    'DATABASE_STATEMENT_TIMEOUT_MS',
    10_000,
    100,
    3_600_000,
  );
  config.databaseIdleInTransactionTimeoutMs = readInt(
    env,
    'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    30_000,
    100,
    3_600_000,
  );
  config.databaseKeepaliveMs = readInt(env, 'DATABASE_KEEPALIVE_MS', 10_000, 0, 3_600_000);
  config.sendBatchTimeoutMs = readInt(env, 'SEND_BATCH_TIMEOUT_MS', 5_000, 100, 600_000);
  config.sendTimeoutMs = readInt(env, 'SEND_TIMEOUT_MS', 20_000, 100, 3_600_000);
  if (config.sendTimeoutMs < config.sendBatchTimeoutMs) {
    throw new ConfigError(
      `SEND_TIMEOUT_MS (${config.sendTimeoutMs}) must be at least SEND_BATCH_TIMEOUT_MS (${config.sendBatchTimeoutMs})`,
    );
  }
  // --- end of issue 10's Postgres settings
  config.feedRetentionDays = readInt(env, 'FEED_RETENTION_DAYS', 30, 1, 36_500);
  config.feedPruneIntervalMs = readInt(env, 'FEED_PRUNE_INTERVAL_MS', 600_000, 1_000, 86_400_000);
  config.redisUrl = readUrl(
    env,
    'REDIS_URL',
    ['redis', 'rediss'],
    'redis://host:6379 or rediss://host:6380',
  );
  config.redisKeyPrefix = env.REDIS_KEY_PREFIX?.trim() || 'chat';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(config.redisKeyPrefix)) {
    throw new ConfigError(
      `REDIS_KEY_PREFIX must be 1 to 64 letters, digits or _.:- characters, got "${env.REDIS_KEY_PREFIX}"`,
    );
  }
  config.presenceTtlMs = readInt(env, 'PRESENCE_TTL_MS', 15_000, 1_000, 600_000);
  config.shutdownTimeoutMs = readInt(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000);
  config.logLevel = readLogLevel(env);
  config.auth = readAuthConfig(env, (message) => new ConfigError(message));
  config.trustProxy = readTrustProxy(env);
  config.adminAuthMaxFailures = readInt(env, 'ADMIN_AUTH_MAX_FAILURES', 10, 1, 1_000_000);
  config.adminAuthWindowSeconds = readInt(env, 'ADMIN_AUTH_WINDOW_SECONDS', 60, 1, 86_400);
  config.limits = readLimits(env);
  return config;
}

function readLimits(env: Env): LimitsConfig {
  const MiB = 1024 * 1024;
  return {
    rateLimits: readBool(env, 'RATE_LIMITS', true),
    sendPerSecond: readInt(env, 'RATE_LIMIT_SEND_PER_SECOND', 50, 1, 1_000_000),
    sendBurst: readInt(env, 'RATE_LIMIT_SEND_BURST', 150, 0, 1_000_000),
    eventsPerSecond: readInt(env, 'RATE_LIMIT_EVENTS_PER_SECOND', 500, 1, 1_000_000),
    eventsBurst: readInt(env, 'RATE_LIMIT_EVENTS_BURST', 1000, 0, 1_000_000),
    fullHistoryCost: readInt(env, 'RATE_LIMIT_FULL_HISTORY_COST', 25, 1, 1_000_000),
    socketQueueLimit: readInt(env, 'SOCKET_QUEUE_LIMIT', 200, 1, 1_000_000),
    socketQueueBytes: readInt(env, 'SOCKET_QUEUE_BYTES', 16 * MiB, 1024, 1024 * MiB),
    socketOutboundBytes: readInt(env, 'SOCKET_OUTBOUND_BYTES', 16 * MiB, 1024, 1024 * MiB),
    nodePendingLimit: readInt(env, 'NODE_PENDING_LIMIT', 2000, 1, 10_000_000),
    nodePendingBytes: readInt(env, 'NODE_PENDING_BYTES', 256 * MiB, 1024, 64 * 1024 * MiB),
    maxSocketsPerUser: readInt(env, 'MAX_SOCKETS_PER_USER', 20, 1, 100_000),
    refusalsBeforeDisconnect: readInt(env, 'LIMIT_REFUSALS_BEFORE_DISCONNECT', 500, 0, 10_000_000),
    unboundRefusalsBeforeDisconnect: readInt(
      env,
      'UNBOUND_REFUSALS_BEFORE_DISCONNECT',
      100,
      0,
      10_000_000,
    ),
  };
}
