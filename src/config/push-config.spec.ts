import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from './app-config.js';
import { pushSenders } from './push-config.js';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const account = {
  project_id: 'p1',
  client_email: 'a@p1.iam.gserviceaccount.com',
  private_key: privateKey,
  token_uri: 'https://oauth2.googleapis.com/token',
};

describe('push configuration', () => {
  it('is off with the documented defaults for an empty environment', () => {
    const { push } = loadConfig({});
    expect(pushSenders(push)).toEqual([]);
    expect(push).toEqual({
      pollMs: 1000,
      leaseMs: 60_000,
      timeoutMs: 10_000,
      retryBaseMs: 1000,
      retryMaxMs: 600_000,
      retryForMs: 86_400_000,
      batchSize: 100,
      deadLetterDays: 7,
    });
  });

  it('turns on the webhook and FCM senders, with the FCM endpoint overridable', () => {
    const { push } = loadConfig({
      PUSH_WEBHOOK_URL: 'https://app.example.com/push',
      PUSH_WEBHOOK_SECRET: '0123456789abcdef',
      FCM_SERVICE_ACCOUNT_JSON: JSON.stringify(account),
      FCM_ENDPOINT: 'http://127.0.0.1:9999/',
    });
    expect(pushSenders(push)).toEqual(['webhook', 'fcm']);
    expect(push.fcm?.endpoint).toBe('http://127.0.0.1:9999/v1/projects/p1/messages:send');
  });

  it.each([
    [{ PUSH_WEBHOOK_URL: 'https://x.example/push' }, /PUSH_WEBHOOK_SECRET must be set/],
    [{ PUSH_WEBHOOK_URL: 'ftp://x', PUSH_WEBHOOK_SECRET: '0123456789abcdef' }, /PUSH_WEBHOOK_URL/],
    [{ PUSH_WEBHOOK_SECRET: '0123456789abcdef' }, /PUSH_WEBHOOK_URL is not/],
    [{ FCM_SERVICE_ACCOUNT_JSON: '{' }, /FCM_SERVICE_ACCOUNT_JSON must hold/],
    [
      { FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({ ...account, client_email: undefined }) },
      /no "client_email"/,
    ],
    [{ FCM_SERVICE_ACCOUNT_FILE: '/nonexistent/key.json' }, /cannot read/],
    [
      { FCM_SERVICE_ACCOUNT_FILE: '/x', FCM_SERVICE_ACCOUNT_JSON: JSON.stringify(account) },
      /not both/,
    ],
    [{ PUSH_LEASE_MS: '1000', PUSH_TIMEOUT_MS: '2000' }, /PUSH_LEASE_MS/],
    [{ PUSH_POLL_MS: 'soon' }, /PUSH_POLL_MS/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
