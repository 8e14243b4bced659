// Push notifications (issue 12) through the webhook sender, on a real server
// with a local webhook receiver: when a push is due (receiver offline on every
// node), what it carries, how it is signed and retried, and device tokens.
import { PresenceService } from '../src/presence/presence.service.js';
import { PushRepository } from '../src/push/push.repository.js';
import { ADMIN_TOKEN } from './support/test-server.js';
import {
  block,
  eventually,
  expectException,
  request,
  sendMessage,
  text,
} from './support/protocol.js';
import {
  startStandIn,
  verifyWebhookSignature,
  WEBHOOK_SECRET,
  type Answer,
} from './support/push-receivers.js';
import { connectAs, connect, type TestSocket } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;

/** What the next webhook requests get, in order (then 200). */
const script: Answer[] = [];
const receiver = await startStandIn(() => script.shift() ?? { status: 200 });
afterAll(() => receiver.close());

const PUSH_ENV = {
  PUSH_WEBHOOK_URL: `${receiver.url}/chat-push`,
  PUSH_WEBHOOK_SECRET: WEBHOOK_SECRET,
  PUSH_POLL_MS: '50',
  PUSH_RETRY_BASE_MS: '20',
  PUSH_RETRY_MAX_MS: '100',
  PUSH_TIMEOUT_MS: '2000',
  PUSH_LEASE_MS: '5000',
};

/** The pushes for `receiverId` received so far, parsed. */
function pushesFor(receiverId: number) {
  return receiver.requests
    .filter((r) => JSON.parse(r.body).receiverId === receiverId)
    .map((r) => ({ request: r, body: JSON.parse(r.body) }));
}

/** The sender's answer row, without the feed's `pos` (the push carries the stored row). */
function withoutPos(row: Record<string, unknown>) {
  const { pos: _pos, ...rest } = row;
  return rest;
}

async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('push notifications through the webhook', () => {
  const server = useTestServer({
    env: PUSH_ENV,
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ],
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    script.length = 0;
  });

  it('pushes once, signed, to a receiver offline on every node: the stored row, the unread count, a delivery id', async () => {
    const alice = await connectAs(server.url, ALICE);
    // One at a time: unreadCount is counted when the push is sent.
    const first = await sendMessage(alice, text(ALICE, BOB, 'are you there?'));
    await receiver.waitFor(1);
    const second = await sendMessage(alice, { ...text(ALICE, BOB, 'a photo', '1') });
    const [one, two] = await receiver.waitFor(2);
    // One push per message, nothing more once the queue is empty.
    await eventually(async () => expect(await queued(server)).toBe(0));
    expect(receiver.requests).toHaveLength(2);
    for (const [request, row, unread] of [
      [one, first, 1],
      [two, second, 2],
    ] as const) {
      expect(request.path).toBe('/chat-push');
      expect(request.headers['content-type']).toBe('application/json');
      expect(verifyWebhookSignature(request)).toBe(true);
      expect(verifyWebhookSignature(request, 'another-secret-0123456789')).toBe(false);
      const timestamp = Number(request.headers['x-chat-timestamp']);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
      const body = JSON.parse(request.body);
      expect(body).toEqual({
        type: 'new_message',
        deliveryId: request.headers['x-chat-delivery'],
        receiverId: BOB,
        unreadCount: unread,
        message: withoutPos(row),
      });
      // Key order as the issue writes it.
      expect(Object.keys(body)).toEqual([
        'type',
        'deliveryId',
        'receiverId',
        'unreadCount',
        'message',
      ]);
      expect(body.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(one.headers['x-chat-delivery']).not.toBe(two.headers['x-chat-delivery']);
    expect(
      await metric(server.url, 'chat_push_sent_total', 'sender="webhook"'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await metric(server.url, 'chat_push_queued_total', 'sender="webhook"'),
    ).toBeGreaterThanOrEqual(2);
  });

  it('does not push to a receiver online on any socket, nor for a blocked send', async () => {
    const alice = await connectAs(server.url, ALICE);
    await connectAs(server.url, BOB);
    await sendMessage(alice, text(ALICE, BOB, 'bob is online'));
    await block(alice, ALICE, CAROL, 1);
    const refused = await sendMessage(alice, text(ALICE, CAROL, 'blocked'));
    expect(refused.success_message).toBeDefined();
    // A push that is due, sent after the two: when it arrives, the others would have too.
    await block(alice, ALICE, CAROL, 0);
    await sendMessage(alice, text(ALICE, CAROL, 'carol is offline'));
    await receiver.waitFor(1);
    await eventually(async () => expect(await queued(server)).toBe(0));
    expect(receiver.requests.map((r) => JSON.parse(r.body).message.message)).toEqual([
      'carol is offline',
    ]);
  });

  it("pushes when the receiver's only socket disconnected right before the send", async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    bob.close();
    const presence = server.app.get(PresenceService);
    // The server has seen the disconnect (nothing slower than that is waited for).
    await eventually(async () => expect((await presence.onlineUsers([BOB])).size).toBe(0));
    await sendMessage(alice, text(ALICE, BOB, 'just missed you'));
    await receiver.waitFor(1);
    await eventually(async () => expect(await queued(server)).toBe(0));
    expect(pushesFor(BOB).map((p) => p.body.message.message)).toEqual(['just missed you']);
  });

  it('retries 500, 500, then delivers once: three attempts with the same delivery id', async () => {
    script.push({ status: 500 }, { status: 503, headers: { 'retry-after': '0' } });
    const retriedBefore = await metric(server.url, 'chat_push_retried_total', 'sender="webhook"');
    const alice = await connectAs(server.url, ALICE);
    await sendMessage(alice, text(ALICE, BOB, 'third time lucky'));
    const attempts = await receiver.waitFor(3);
    await eventually(async () => expect(await queued(server)).toBe(0));
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(attempts.map((r) => r.headers['x-chat-delivery']));
    expect(ids.size).toBe(1);
    // Signed anew at every attempt.
    for (const attempt of attempts) expect(verifyWebhookSignature(attempt)).toBe(true);
    expect(
      (await metric(server.url, 'chat_push_retried_total', 'sender="webhook"')) - retriedBefore,
    ).toBe(2);
  });

  it('dead-letters a push the webhook refuses with a 4xx, without retrying', async () => {
    script.push({ status: 400 });
    const alice = await connectAs(server.url, ALICE);
    await sendMessage(alice, text(ALICE, BOB, 'refused'));
    await receiver.waitFor(1);
    await eventually(async () => {
      const rows = await server.query<{ dead: boolean; last_error: string }>(
        'SELECT dead_at IS NOT NULL AS dead, last_error FROM push_deliveries',
      );
      expect(rows).toEqual([{ dead: true, last_error: 'the webhook answered 400' }]);
    });
    expect(receiver.requests).toHaveLength(1);
    expect(
      await metric(
        server.url,
        'chat_push_dead_lettered_total',
        'sender="webhook",reason="rejected"',
      ),
    ).toBeGreaterThanOrEqual(1);
    // Dead letters do not count as queue age.
    expect(await metric(server.url, 'chat_push_queue_age_seconds', '')).toBe(0);
    // Kept PUSH_DEAD_LETTER_DAYS, then pruned (here: any age).
    expect(await server.app.get(PushRepository).pruneDeadLetters(0)).toBe(1);
    expect(await server.query('SELECT * FROM push_deliveries')).toEqual([]);
  });

  describe('device tokens', () => {
    it("register_device stores the calling user's token and answers device_registered", async () => {
      const bob = await connectAs(server.url, BOB);
      const answer = await request(bob, 'register_device', {
        userId: String(BOB),
        token: 'token-b1',
        platform: 'ios',
      });
      expect(answer).toEqual({ userId: BOB, token: 'token-b1', platform: 'ios' });
      expect(await devices(server, BOB)).toEqual([{ token: 'token-b1', platform: 'ios' }]);
    });

    it('register_device is refused for another user, before connect_user, and for bad input, changing nothing', async () => {
      const bob = await connectAs(server.url, BOB);
      const unbound = await connect(server.url);
      const cases: Array<[TestSocket, unknown, RegExp]> = [
        [
          bob,
          { userId: ALICE, token: 't', platform: 'ios' },
          /must be the user this socket is connected as/,
        ],
        [unbound, { userId: BOB, token: 't', platform: 'ios' }, /connect_user first/],
        [bob, { userId: BOB, token: 'has space', platform: 'ios' }, /token must be a device token/],
        [bob, { userId: BOB, token: '', platform: 'ios' }, /token must be a device token/],
        [bob, { userId: BOB, token: 'x'.repeat(4097), platform: 'ios' }, /token/],
        [
          bob,
          { userId: BOB, token: 't', platform: 'symbian' },
          /platform must be one of android, ios, web/,
        ],
        [bob, { userId: BOB, platform: 'ios' }, /token/],
      ];
      for (const [socket, payload, message] of cases) {
        const error = await expectException(socket, 'register_device', payload);
        expect(error.message).toMatch(message);
      }
      expect(await server.query('SELECT * FROM push_devices')).toEqual([]);
    });

    it('PUT /admin/users/:id/devices replaces the list, behind the admin token', async () => {
      const put = (id: number | string, body: unknown, token = ADMIN_TOKEN) =>
        fetch(`${server.url}/admin/users/${id}/devices`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
      const list = [
        { token: 'a1', platform: 'android' },
        { token: 'i1', platform: 'ios' },
      ];
      const ok = await put(ALICE, { devices: list });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ userId: ALICE, devices: list });
      // A token moves to the user who registers it last.
      expect((await put(BOB, { devices: [{ token: 'i1', platform: 'ios' }] })).status).toBe(200);
      expect(await devices(server, ALICE)).toEqual([{ token: 'a1', platform: 'android' }]);
      expect((await put(ALICE, { devices: [] })).status).toBe(200);
      expect(await devices(server, ALICE)).toEqual([]);
      expect((await put(ALICE, { devices: list }, 'wrong-token-0000')).status).toBe(401);
      expect((await put(99, { devices: list })).status).toBe(404);
      expect((await put('x', { devices: list })).status).toBe(400);
      expect((await put(ALICE, { devices: [{ token: 'a', platform: 'nokia' }] })).status).toBe(400);
      expect((await put(ALICE, { devices: [list[0], list[0]] })).status).toBe(400);
      expect((await put(ALICE, {})).status).toBe(400);
      expect(await devices(server, ALICE)).toEqual([]);
    });
  });
});

describe('push notifications off (no sender configured)', () => {
  const server = useTestServer({ users: [[ALICE], [BOB]] });

  it('queues nothing for an offline receiver', async () => {
    const alice = await connectAs(server.url, ALICE);
    await sendMessage(alice, text(ALICE, BOB, 'nobody pushes this'));
    expect(await queued(server)).toBe(0);
    expect(await server.query('SELECT * FROM push_deliveries')).toEqual([]);
  });
});

async function queued(server: { query: <T>(sql: string) => Promise<T[]> }): Promise<number> {
  const [row] = await server.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM push_deliveries WHERE dead_at IS NULL',
  );
  return row.n;
}

async function devices(
  server: { query: <T>(sql: string, p?: unknown[]) => Promise<T[]> },
  id: number,
) {
  return server.query(
    'SELECT token, platform FROM push_devices WHERE user_id = $1 ORDER BY token',
    [id],
  );
}
