// Push notifications through FCM HTTP v1 (issue 12), against a local stand-in
// for Google's token endpoint and FCM's send endpoint that checks each request
// (the signed JWT assertion, the Bearer token, the message) and answers as
// FCM documents, errors included.
import { generateKeyPairSync } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import { PresenceService } from '../src/presence/presence.service.js';
import { eventually, request, sendMessage, text } from './support/protocol.js';
import { startStandIn, type Answer, type ReceivedRequest } from './support/push-receivers.js';
import { connectAs } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const ACCESS_TOKEN = 'ya29.test-access-token';
const PROJECT = 'chat-test-project';
const CLIENT_EMAIL = 'push@chat-test-project.iam.gserviceaccount.com';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** FCM's documented error body (google.rpc.Status with an FcmError detail). */
function fcmError(
  code: number,
  status: string,
  errorCode: string,
  headers?: Record<string, string>,
): Answer {
  return {
    status: code,
    headers,
    body: JSON.stringify({
      error: {
        code,
        message: `error ${errorCode}`,
        status,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    }),
  };
}

/** Per device token, what FCM answers (200 with a message name by default). */
const byToken = new Map<string, Answer[]>();
const google = await startStandIn((request) => {
  if (request.path === '/token') {
    return {
      status: 200,
      body: JSON.stringify({ access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' }),
    };
  }
  const token = JSON.parse(request.body).message?.token as string;
  return (
    byToken.get(token)?.shift() ?? {
      status: 200,
      body: JSON.stringify({ name: `projects/${PROJECT}/messages/1` }),
    }
  );
});
afterAll(() => google.close());

const sends = () => google.requests.filter((r) => r.path !== '/token');
const tokenRequests = () => google.requests.filter((r) => r.path === '/token');

describe('push notifications through FCM', () => {
  const server = useTestServer({
    env: {
      FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({
        type: 'service_account',
        project_id: PROJECT,
        private_key_id: 'k1',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: CLIENT_EMAIL,
        token_uri: `${google.url}/token`,
      }),
      FCM_ENDPOINT: google.url,
      PUSH_POLL_MS: '50',
      PUSH_RETRY_BASE_MS: '20',
      PUSH_RETRY_MAX_MS: '100',
      PUSH_TIMEOUT_MS: '2000',
      PUSH_LEASE_MS: '5000',
    },
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
    ],
  });
  beforeEach(() => {
    google.requests.length = 0;
    byToken.clear();
  });

  async function register(token: string, platform: string) {
    const bob = await connectAs(server.url, BOB);
    await request(bob, 'register_device', { userId: BOB, token, platform });
    bob.close();
    // Bob is offline again (the server saw the disconnect) before Alice sends.
    const presence = server.app.get(PresenceService);
    await eventually(async () => expect((await presence.onlineUsers([BOB])).size).toBe(0));
  }

  it('mints an access token from the service account and sends one v1 message per device token', async () => {
    const response = await fetch(`${server.url}/admin/users/${BOB}/devices`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token' },
      body: JSON.stringify({
        devices: [
          { token: 'android-1', platform: 'android' },
          { token: 'ios-1', platform: 'ios' },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const alice = await connectAs(server.url, ALICE);
    // One at a time, so that each badge is the count when its push was sent.
    const isSend = (r: ReceivedRequest) => r.path !== '/token';
    const row = await sendMessage(alice, text(ALICE, BOB, 'hello from FCM'));
    await google.waitFor(2, isSend);
    const photo = await sendMessage(alice, text(ALICE, BOB, 'https://cdn/p.jpg', '1'));
    await google.waitFor(4, isSend);
    const long = await sendMessage(alice, text(ALICE, BOB, '🙂'.repeat(5000)));
    await google.waitFor(6, isSend);
    await eventually(async () =>
      expect(await server.query('SELECT * FROM push_deliveries')).toEqual([]),
    );

    // The token request: a JWT bearer assertion signed with the account's key.
    expect(tokenRequests()).toHaveLength(1);
    const form = new URLSearchParams(tokenRequests()[0].body);
    expect(tokenRequests()[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const { payload, protectedHeader } = await jwtVerify(
      form.get('assertion')!,
      await importSPKI(publicPem, 'RS256'),
      { issuer: CLIENT_EMAIL, audience: `${google.url}/token` },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.scope).toBe('https://www.googleapis.com/auth/firebase.messaging');
    expect(payload.exp! - payload.iat!).toBe(3600);

    for (const send of sends()) {
      expect(send.path).toBe(`/v1/projects/${PROJECT}/messages:send`);
      expect(send.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
      expect(send.headers['content-type']).toBe('application/json');
    }
    const messages = sends().map((s: ReceivedRequest) => JSON.parse(s.body).message);
    const first = messages.filter((m) => m.data.messageId === String(row.id));
    expect(first.map((m) => m.token).sort()).toEqual(['android-1', 'ios-1']);
    const thread = `conversation-${row.chatConstantId}`;
    expect(first[0]).toEqual({
      token: first[0].token,
      notification: { title: 'Alice', body: 'hello from FCM' },
      data: {
        type: 'new_message',
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        messageId: String(row.id),
        chatConstantId: String(row.chatConstantId),
        senderId: String(ALICE),
        receiverId: String(BOB),
      },
      android: { collapse_key: thread, notification: { tag: thread, notification_count: 1 } },
      apns: { payload: { aps: { 'thread-id': thread, badge: 1 } } },
    });
    const second = messages.find((m) => m.data.messageId === String(photo.id));
    expect(second.notification).toEqual({ title: 'Alice', body: 'Photo' });
    expect(second.apns.payload.aps.badge).toBe(2);
    // A long text is cut (FCM refuses messages over 4 KB as INVALID_ARGUMENT).
    const third = messages.find((m) => m.data.messageId === String(long.id));
    expect(third.notification.body).toBe(`${'🙂'.repeat(239)}…`);
  });

  it('removes a token FCM calls UNREGISTERED or INVALID_ARGUMENT, retries 503 and 429, delivers the rest once', async () => {
    for (const [token, platform] of [
      ['good', 'android'],
      ['gone', 'ios'],
      ['bad', 'android'],
      ['busy', 'android'],
    ])
      await register(token, platform);
    byToken.set('gone', [fcmError(404, 'NOT_FOUND', 'UNREGISTERED')]);
    byToken.set('bad', [fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT')]);
    byToken.set('busy', [
      fcmError(503, 'UNAVAILABLE', 'UNAVAILABLE'),
      fcmError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED', { 'retry-after': '0' }),
    ]);
    const alice = await connectAs(server.url, ALICE);
    await sendMessage(alice, text(ALICE, BOB, 'who is still there?'));
    await eventually(async () =>
      expect(await server.query('SELECT * FROM push_deliveries')).toEqual([]),
    );
    const tokens = sends().map((s) => JSON.parse(s.body).message.token as string);
    // good once; gone and bad once each, then removed; busy three times (503, 429, 200).
    expect(tokens.sort()).toEqual(['bad', 'busy', 'busy', 'busy', 'gone', 'good']);
    const left = await server.query<{ token: string }>(
      'SELECT token FROM push_devices WHERE user_id = $1 ORDER BY token',
      [BOB],
    );
    expect(left.map((d) => d.token)).toEqual(['busy', 'good']);
  });

  it('sends nothing to a receiver without a device token', async () => {
    const alice = await connectAs(server.url, ALICE);
    await sendMessage(alice, text(ALICE, BOB, 'no phone'));
    await eventually(async () =>
      expect(await server.query('SELECT * FROM push_deliveries')).toEqual([]),
    );
    expect(sends()).toEqual([]);
  });
});
