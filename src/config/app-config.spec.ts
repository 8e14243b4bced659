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
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ RUN_MIGRATIONS: 'maybe' }, 'RUN_MIGRATIONS'],
    [{ MESSAGE_MAX_LENGTH: '0' }, 'MESSAGE_MAX_LENGTH'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ SOCKET_PATH: 'socket.io' }, 'SOCKET_PATH'],
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://[bad' }, 'REDIS_URL'],
    [{ REDIS_KEY_PREFIX: 'has space' }, 'REDIS_KEY_PREFIX'],
    [{ PRESENCE_TTL_MS: '500' }, 'PRESENCE_TTL_MS'],
    [{ SHUTDOWN_TIMEOUT_MS: 'soon' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
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
      messageMaxLength: 500,
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'chat-eu',
      presenceTtlMs: 3000,
      shutdownTimeoutMs: 2000,
      logLevel: 'debug',
    });
  });
});
