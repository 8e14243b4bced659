import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8887);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe('./data');
    expect(config.runMigrations).toBe(true);
    expect(config.adminToken).toBeUndefined();
    expect(config.demoUsers).toBe(false);
    expect(config.messageMaxLength).toBe(10_000);
    expect(config.maxHttpBufferSize).toBe(5 * 1024 * 1024);
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisKeyPrefix).toBe('chat');
    expect(config.presenceTtlMs).toBe(15_000);
    expect(config.shutdownTimeoutMs).toBe(10_000);
    expect(config.logLevel).toBe('info');
    expect(config).toMatchObject({
      databaseConnectTimeoutMs: 5_000,
      databaseStatementTimeoutMs: 10_000,
      databaseIdleInTransactionTimeoutMs: 30_000,
      databaseKeepaliveMs: 10_000,
      sendBatchTimeoutMs: 5_000,
      sendTimeoutMs: 20_000,
    });
    expect(config.limits).toEqual({
      rateLimits: true,
      sendPerSecond: 50,
      sendBurst: 150,
      eventsPerSecond: 500,
      eventsBurst: 1000,
      fullHistoryCost: 25,
      socketQueueLimit: 200,
      socketQueueBytes: 16 * 1024 * 1024,
      socketOutboundBytes: 16 * 1024 * 1024,
      nodePendingLimit: 2000,
      nodePendingBytes: 256 * 1024 * 1024,
      maxSocketsPerUser: 20,
      refusalsBeforeDisconnect: 500,
      unboundRefusalsBeforeDisconnect: 100,
    });
  });

  it('reads the limits, and 0 turns the abuse disconnects off', () => {
    const { limits } = loadConfig({
      RATE_LIMITS: 'off',
      RATE_LIMIT_SEND_PER_SECOND: '1000',
      SOCKET_QUEUE_LIMIT: '5',
      MAX_SOCKETS_PER_USER: '3',
      LIMIT_REFUSALS_BEFORE_DISCONNECT: '0',
      UNBOUND_REFUSALS_BEFORE_DISCONNECT: '0',
    });
    expect(limits).toMatchObject({
      rateLimits: false,
      sendPerSecond: 1000,
      socketQueueLimit: 5,
      maxSocketsPerUser: 3,
      refusalsBeforeDisconnect: 0,
      unboundRefusalsBeforeDisconnect: 0,
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ RUN_MIGRATIONS: 'maybe' }, 'RUN_MIGRATIONS'],
    [{ MESSAGE_MAX_LENGTH: '0' }, 'MESSAGE_MAX_LENGTH'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ ADMIN_TOKEN_LABEL: 'x'.repeat(101) }, 'ADMIN_TOKEN_LABEL'],
    [{ SOCKET_PATH: 'socket.io' }, 'SOCKET_PATH'],
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://[bad' }, 'REDIS_URL'],
    [{ REDIS_KEY_PREFIX: 'has space' }, 'REDIS_KEY_PREFIX'],
    [{ PRESENCE_TTL_MS: '500' }, 'PRESENCE_TTL_MS'],
    [{ SHUTDOWN_TIMEOUT_MS: 'soon' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ RATE_LIMITS: 'sometimes' }, 'RATE_LIMITS'],
    [{ RATE_LIMIT_SEND_PER_SECOND: '0' }, 'RATE_LIMIT_SEND_PER_SECOND'],
    [{ RATE_LIMIT_EVENTS_BURST: '-1' }, 'RATE_LIMIT_EVENTS_BURST'],
    [{ RATE_LIMIT_FULL_HISTORY_COST: '0' }, 'RATE_LIMIT_FULL_HISTORY_COST'],
    [{ SOCKET_QUEUE_LIMIT: '0' }, 'SOCKET_QUEUE_LIMIT'],
    [{ SOCKET_QUEUE_BYTES: '10' }, 'SOCKET_QUEUE_BYTES'],
    [{ NODE_PENDING_LIMIT: 'many' }, 'NODE_PENDING_LIMIT'],
    [{ MAX_SOCKETS_PER_USER: '0' }, 'MAX_SOCKETS_PER_USER'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '5s' }, 'DATABASE_CONNECT_TIMEOUT_MS'],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '0' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-1' }, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS'],
    [{ DATABASE_KEEPALIVE_MS: 'on' }, 'DATABASE_KEEPALIVE_MS'],
    [{ SEND_BATCH_TIMEOUT_MS: '50' }, 'SEND_BATCH_TIMEOUT_MS'],
    [{ SEND_TIMEOUT_MS: '1000' }, 'SEND_TIMEOUT_MS'],
  ])('refuses %p naming the variable', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('reads valid values', () => {
    const config = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      RUN_MIGRATIONS: 'false',
      ADMIN_TOKEN: 'secret-token',
      ADMIN_TOKEN_LABEL: 'ops-backend',
      MESSAGE_MAX_LENGTH: '500',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'chat-eu',
      PRESENCE_TTL_MS: '3000',
      SHUTDOWN_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
      runMigrations: false,
      adminToken: 'secret-token',
      adminTokenLabel: 'ops-backend',
      messageMaxLength: 500,
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'chat-eu',
      presenceTtlMs: 3000,
      shutdownTimeoutMs: 2000,
      logLevel: 'debug',
    });
  });

  // ---- HTTP hardening (issue 9, part 3)
  it('HTTP hardening defaults: CORS * without credentials, no proxy trusted, 10 admin failures a minute', () => {
    expect(loadConfig({})).toMatchObject({
      corsOrigins: '*',
      trustProxy: false,
      adminAuthMaxFailures: 10,
      adminAuthWindowSeconds: 60,
    });
  });

  it('reads CORS_ORIGIN as a list of origins', () => {
    expect(loadConfig({ CORS_ORIGIN: '*' }).corsOrigins).toBe('*');
    expect(
      loadConfig({ CORS_ORIGIN: 'https://app.example, http://localhost:3000,' }).corsOrigins,
    ).toEqual(['https://app.example', 'http://localhost:3000']);
  });

  it.each([
    ['https://app.example/', 'a trailing slash'],
    ['https://app.example/path', 'a path'],
    ['app.example', 'no scheme'],
    ['*, https://app.example', '* in a list'],
    ['ftp://app.example', 'another scheme'],
    ['null', 'the null origin'],
  ])('refuses CORS_ORIGIN=%p (%s)', (value) => {
    expect(() => loadConfig({ CORS_ORIGIN: value })).toThrow(/CORS_ORIGIN/);
  });

  it('reads TRUST_PROXY as off, a hop count or addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(
      loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 192.0.2.1' }).trustProxy,
    ).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
  });

  it.each(['true', '11', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/1', 'loopback,'])(
    'refuses TRUST_PROXY=%p',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
    },
  );

  it.each([
    [{ ADMIN_AUTH_MAX_FAILURES: '0' }, 'ADMIN_AUTH_MAX_FAILURES'],
    [{ ADMIN_AUTH_WINDOW_SECONDS: 'a minute' }, 'ADMIN_AUTH_WINDOW_SECONDS'],
  ])('refuses %p naming the variable', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });
});
