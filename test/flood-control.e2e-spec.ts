// Flood control and backpressure (issue 9, part 2; README "Limits"): bounded
// per-socket queues, a node-wide bound, rate limits per socket and per user,
// abusive sockets closed, a cap on a user's sockets, and every refusal counted.
// Timing is never asserted; the counts each test measured are printed.
import { loadConfig } from '../src/config/app-config.js';
import { ServerLifecycle } from '../src/lifecycle/server-lifecycle.js';
import { SocketServer } from '../src/realtime/socket-server.js';
import {
  flood,
  grown,
  holdSends,
  observePair,
  percentiles,
  type PrivateRedis,
  refusals,
  startPrivateRedis,
} from './support/flood.js';
import {
  chatListing,
  count,
  eventually,
  expectErrorShape,
  sendMessage,
} from './support/protocol.js';
import { collect, connect, connectAs, sleep, waitFor, type TestSocket } from './support/sockets.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const DAVE = 4;
const USERS: Array<[number, string]> = [
  [ALICE, 'Alice'],
  [BOB, 'Bob'],
  [CAROL, 'Carol'],
  [DAVE, 'Dave'],
];
const DEFAULTS = loadConfig({}).limits;

const send = (from: number, to: number, message: string, extra: Record<string, unknown> = {}) => ({
  senderId: from,
  receiverId: to,
  messageType: 0,
  message,
  ...extra,
});

/** Emits `payloads` at once on `socket` and collects what comes back, by kind. */
function burst(socket: TestSocket, event: string, payloads: unknown[], withAck = false) {
  const exceptions = collect<{ message: string; event: string; status: string }>(
    socket,
    'exception',
  );
  const acks: unknown[] = [];
  for (const payload of payloads) {
    if (withAck) socket.emit(event, payload, (answer: unknown) => acks.push(answer));
    else socket.emit(event, payload);
  }
  return { exceptions, acks };
}

const log = (line: string) => process.stdout.write(`${line}\n`);

describe('flood control with the default limits', () => {
  const server = useTestServer({ users: USERS });

  it('lists every refusal reason in /metrics from the start', async () => {
    expect(Object.keys(await refusals(server.url)).sort()).toEqual(
      [
        'disconnected_abuse',
        'disconnected_unbound',
        'dropped_disconnected',
        'node_busy',
        'rate_socket',
        'rate_user',
        'shutting_down',
        'socket_cap',
        'socket_outbound_bytes',
        'disconnected_slow_reader',
        'socket_queue_bytes',
        'socket_queue_full',
      ].sort(),
    );
  });

  it('a socket flooding send_message is refused with "too many requests" and disconnected, while another pair keeps exchanging messages', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const flooder = await connectAs(server.url, CAROL);
    let done = false;
    const observing = observePair(
      { socket: alice, userId: ALICE },
      { socket: bob, userId: BOB },
      50,
      () => done,
    );
    await sleep(300);
    const flooding = flood(flooder, 'send_message', send(CAROL, DAVE, 'flood'), () => done);
    const deadline = Date.now() + 15_000;
    while (flooder.connected && Date.now() < deadline) await sleep(50);
    await sleep(500); // the pair keeps talking after the flooder is gone
    done = true;
    const [stats, observed] = await Promise.all([flooding, observing]);
    const stored = await server.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1',
      [CAROL],
    );
    const counted = grown(before, await refusals(server.url));
    log(
      `flooder: sent ${stats.sent}, "too many requests" ${stats.tooMany}, other exceptions ${stats.otherExceptions}, ` +
        `stored ${stored[0].n}, disconnected after ${stats.disconnectedAfterMs} ms (${stats.disconnectReason}); ` +
        `observer: ${observed.sent} sent, ${observed.missing} missing, ms ${JSON.stringify(percentiles(observed.latenciesMs))}; ` +
        `refusals ${JSON.stringify(counted)}; e.g. "${stats.samples[0]}"`,
    );
    expect(stats.tooMany).toBeGreaterThan(0);
    expect(stats.disconnectReason).toBe('io server disconnect');
    expect(counted.disconnected_abuse).toBe(1);
    expect((counted.socket_queue_full ?? 0) + (counted.rate_socket ?? 0)).toBeGreaterThan(0);
    // Stored at most what the send limit allows over the flood's few seconds.
    const seconds = Math.ceil((stats.disconnectedAfterMs ?? 15_000) / 1000) + 1;
    expect(stored[0].n).toBeLessThanOrEqual(DEFAULTS.sendPerSecond * seconds + DEFAULTS.sendBurst);
    expect(observed.missing).toBe(0);
    expect(observed.latenciesMs.length).toBe(observed.sent);
    expect(alice.connected && bob.connected).toBe(true);
  }, 30_000);

  it(`an unbound socket is disconnected after ${DEFAULTS.unboundRefusalsBeforeDisconnect} refused events`, async () => {
    const before = await refusals(server.url);
    const stranger = await connect(server.url);
    const exceptions = collect<{ message: string }>(stranger, 'exception');
    const disconnected = waitFor(stranger, 'disconnect', 20_000);
    let refused = 0;
    while (stranger.connected && refused < DEFAULTS.unboundRefusalsBeforeDisconnect + 5) {
      const answer = waitFor(stranger, 'exception', 3000);
      stranger.emit('send_message', send(ALICE, BOB, 'not bound'));
      expectErrorShape(await answer, 'send_message');
      refused++;
    }
    expect(await disconnected).toBe('io server disconnect');
    const notice = exceptions.at(-1)?.message;
    log(`unbound socket: ${refused} refused, then closed with "${notice}"`);
    expect(notice).toBe(
      `too many requests: ${DEFAULTS.unboundRefusalsBeforeDisconnect} refused before connect_user; this connection is closed`,
    );
    expect(refused).toBe(DEFAULTS.unboundRefusalsBeforeDisconnect);
    expect(grown(before, await refusals(server.url))).toEqual({ disconnected_unbound: 1 });
    expect(await count(server, 'messages')).toBe(0);
  }, 30_000);

  it('an unbound socket flooding refused events unpaced is refused and disconnected, while another pair keeps exchanging messages', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const flooder = await connect(server.url);
    let done = false;
    const observing = observePair(
      { socket: alice, userId: ALICE },
      { socket: bob, userId: BOB },
      50,
      () => done,
    );
    const flooding = flood(flooder, 'chat_listing', { userId: CAROL }, () => done);
    const deadline = Date.now() + 15_000;
    while (flooder.connected && Date.now() < deadline) await sleep(50);
    await sleep(500);
    done = true;
    const [stats, observed] = await Promise.all([flooding, observing]);
    const counted = grown(before, await refusals(server.url));
    log(
      `unbound flooder: sent ${stats.sent}, "too many requests" ${stats.tooMany}, other exceptions ${stats.otherExceptions}, ` +
        `disconnected after ${stats.disconnectedAfterMs} ms (${stats.disconnectReason}); ` +
        `observer: ${observed.sent} sent, ${observed.missing} missing, ms ${JSON.stringify(percentiles(observed.latenciesMs))}; ` +
        `refusals ${JSON.stringify(counted)}`,
    );
    expect(stats.tooMany + stats.otherExceptions).toBeGreaterThan(0);
    expect(stats.disconnectReason).toBe('io server disconnect');
    expect((counted.disconnected_abuse ?? 0) + (counted.disconnected_unbound ?? 0)).toBe(1);
    expect(observed.missing).toBe(0);
  }, 30_000);

  it(`a user's socket beyond MAX_SOCKETS_PER_USER (${DEFAULTS.maxSocketsPerUser}) closes the oldest; the user stays online`, async () => {
    const bob = await connectAs(server.url, BOB);
    const first = await connectAs(server.url, ALICE);
    await sendMessage(first, send(ALICE, BOB, 'hello'));
    const before = await refusals(server.url);
    const sockets = [first];
    const reasons: string[] = [];
    first.on('disconnect', (reason: string) => reasons.push(reason));
    for (let i = 1; i < DEFAULTS.maxSocketsPerUser; i++)
      sockets.push(await connectAs(server.url, ALICE));
    await sleep(100);
    expect(sockets.every((socket) => socket.connected)).toBe(true);

    sockets.push(await connectAs(server.url, ALICE)); // one too many
    await eventually(async () => expect(reasons).toEqual(['io server disconnect']));
    for (let i = 0; i < 3; i++) sockets.push(await connectAs(server.url, ALICE));
    await eventually(async () =>
      expect(sockets.filter((socket) => socket.connected)).toHaveLength(DEFAULTS.maxSocketsPerUser),
    );
    // The oldest ones went, in order; the newest are all there.
    expect(sockets.slice(0, 4).map((socket) => socket.connected)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(sockets.slice(4).every((socket) => socket.connected)).toBe(true);
    expect(server.app.get(SocketServer).localSocketCount(ALICE)).toBe(DEFAULTS.maxSocketsPerUser);
    const [conversation] = await chatListing(bob, BOB);
    expect(conversation).toMatchObject({ user_id: ALICE, isOnline: 1 });
    const counted = grown(before, await refusals(server.url));
    log(
      `socket cap: ${sockets.length} sockets opened for one user, ${sockets.filter((s) => s.connected).length} connected; refusals ${JSON.stringify(counted)}`,
    );
    expect(counted).toEqual({ socket_cap: 4 });
  }, 30_000);

  it('takes a frame of nearly MAX_HTTP_BUFFER_SIZE (5 MiB)', async () => {
    const alice = await connectAs(server.url, ALICE);
    const row = await sendMessage(
      alice,
      send(ALICE, BOB, 'big frame', { pad: 'x'.repeat(5_000_000) }),
    );
    expect(row).toMatchObject({ message: 'big frame' });
  });
});

describe('per-socket queue bounds (SOCKET_QUEUE_LIMIT=5, SOCKET_QUEUE_BYTES=3000000)', () => {
  const server = useTestServer({
    users: USERS,
    env: { SOCKET_QUEUE_LIMIT: '5', SOCKET_QUEUE_BYTES: '3000000' },
  });

  it('refuses events beyond the queue limit at once, with exception and ack', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const gate = holdSends(server.app);
    try {
      const stored = collect(alice, 'new_message');
      const payloads = Array.from({ length: 12 }, (_, i) => send(ALICE, BOB, `m${i}`));
      const { exceptions, acks } = burst(alice, 'send_message', payloads, true);
      // Refused while the first send is still held: at once, not after the queue ran.
      await eventually(async () => expect(exceptions).toHaveLength(7));
      expect(gate.held()).toBe(1);
      for (const error of exceptions) {
        expectErrorShape(error, 'send_message');
        expect(error.message).toBe(
          'too many requests: 5 requests are already waiting on this connection; wait for answers before sending more',
        );
      }
      expect(acks).toEqual(exceptions);
      gate.release();
      await eventually(async () => expect(stored).toHaveLength(5));
      expect(stored.map((row: { message: string }) => row.message)).toEqual([
        'm0',
        'm1',
        'm2',
        'm3',
        'm4',
      ]);
      const counted = grown(before, await refusals(server.url));
      log(
        `queue limit 5: 12 sent at once, ${stored.length} stored, ${exceptions.length} refused; ${JSON.stringify(counted)}`,
      );
      expect(counted).toEqual({ socket_queue_full: 7 });
    } finally {
      gate.release();
      gate.restore();
    }
  });

  it('refuses events beyond the queued bytes, but always takes one event on an empty queue', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const gate = holdSends(server.app);
    try {
      const stored = collect(alice, 'new_message');
      const pad = 'x'.repeat(1_000_000);
      const payloads = [0, 1, 2, 3].map((i) => send(ALICE, BOB, `big${i}`, { pad }));
      const { exceptions } = burst(alice, 'send_message', payloads);
      await eventually(async () => expect(exceptions).toHaveLength(2), 10_000);
      expect(exceptions[0].message).toBe(
        'too many requests: the requests waiting on this connection already hold 3000000 bytes; wait for answers before sending more',
      );
      gate.release();
      await eventually(async () => expect(stored).toHaveLength(2), 10_000);
      // Larger than SOCKET_QUEUE_BYTES alone, on an empty queue: taken.
      const row = await sendMessage(
        alice,
        send(ALICE, BOB, 'alone', { pad: 'y'.repeat(4_500_000) }),
      );
      expect(row).toMatchObject({ message: 'alone' });
      expect(grown(before, await refusals(server.url))).toEqual({ socket_queue_bytes: 2 });
    } finally {
      gate.release();
      gate.restore();
    }
  });

  it('drops the queued events of a socket that disconnected: none runs', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const gate = holdSends(server.app);
    try {
      const acks: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        alice.emit('send_message', send(ALICE, BOB, `queued ${i}`), (answer: unknown) =>
          acks.push(answer),
        );
      }
      await eventually(async () => expect(gate.held()).toBe(1));
      alice.close();
      await eventually(async () =>
        expect(server.app.get(SocketServer).localSocketCount(ALICE)).toBe(0),
      );
      gate.release();
      await eventually(async () =>
        expect(grown(before, await refusals(server.url))).toEqual({ dropped_disconnected: 4 }),
      );
      await sleep(200);
      // Only the one already running when the socket left was carried out (its ack had nowhere to go).
      const rows = await server.query<{ message: string }>('SELECT message FROM messages');
      log(
        `disconnected with 5 queued: ${rows.length} stored, ${acks.length} acknowledged, 4 dropped`,
      );
      expect(rows).toEqual([{ message: 'queued 0' }]);
      expect(acks).toEqual([]);
    } finally {
      gate.release();
      gate.restore();
    }
  });
});

describe('node-wide bound (NODE_PENDING_LIMIT=3, LIMIT_REFUSALS_BEFORE_DISCONNECT=1)', () => {
  const server = useTestServer({
    users: USERS,
    env: { NODE_PENDING_LIMIT: '3', LIMIT_REFUSALS_BEFORE_DISCONNECT: '1' },
  });

  it('refuses at once, on any socket, while 3 events are pending on the node; no strike against the client', async () => {
    const before = await refusals(server.url);
    const senders = await Promise.all([ALICE, BOB, CAROL].map((id) => connectAs(server.url, id)));
    const dave = await connectAs(server.url, DAVE);
    const gate = holdSends(server.app);
    try {
      senders.forEach((socket, i) =>
        socket.emit('send_message', send(i + 1, DAVE, `pending ${i}`)),
      );
      await eventually(async () => expect(gate.held()).toBe(3));
      const { exceptions } = burst(dave, 'send_message', [send(DAVE, ALICE, 'one more')]);
      dave.emit('chat_listing', { userId: DAVE });
      await eventually(async () => expect(exceptions).toHaveLength(2));
      expect(exceptions.map((e) => [e.event, e.message])).toEqual([
        ['send_message', 'too many requests: the server is busy; retry in a moment'],
        ['chat_listing', 'too many requests: the server is busy; retry in a moment'],
      ]);
      // A busy node is not the client's doing: no strike, the socket stays.
      await sleep(100);
      expect(dave.connected).toBe(true);
      gate.release();
      await eventually(async () => expect(await count(server, 'messages')).toBe(3));
      // Stored is not yet finished: the three are answered a moment after their commit.
      await eventually(async () => expect(server.app.get(ServerLifecycle).pending).toBe(0));
      // Room again once they finished.
      expect(await sendMessage(dave, send(DAVE, ALICE, 'now'))).toMatchObject({ message: 'now' });
      expect(grown(before, await refusals(server.url))).toEqual({ node_busy: 2 });
    } finally {
      gate.release();
      gate.restore();
    }
  });
});

describe('RATE_LIMITS=off (send limit 5/s, no burst; SOCKET_QUEUE_LIMIT=50)', () => {
  const server = useTestServer({
    users: USERS,
    env: {
      RATE_LIMITS: 'off',
      RATE_LIMIT_SEND_PER_SECOND: '5',
      RATE_LIMIT_SEND_BURST: '0',
      SOCKET_QUEUE_LIMIT: '50',
    },
  });

  it('lets a burst over the rate limit through, but still bounds the queue', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const delivered = collect(alice, 'new_message');
    const { exceptions } = burst(
      alice,
      'send_message',
      Array.from({ length: 40 }, (_, i) => send(ALICE, BOB, `free ${i}`)),
    );
    await eventually(async () => expect(delivered).toHaveLength(40), 10_000);
    expect(exceptions).toEqual([]);

    const gate = holdSends(server.app);
    try {
      const more = burst(
        alice,
        'send_message',
        Array.from({ length: 60 }, (_, i) => send(ALICE, BOB, `held ${i}`)),
      );
      await eventually(async () => expect(more.exceptions).toHaveLength(10));
      expect(more.exceptions[0].message).toMatch(
        /^too many requests: 50 requests are already waiting/,
      );
      gate.release();
      await eventually(async () => expect(await count(server, 'messages')).toBe(90), 10_000);
      expect(grown(before, await refusals(server.url))).toEqual({ socket_queue_full: 10 });
    } finally {
      gate.release();
      gate.restore();
    }
  });
});

describe('rate limits (send 5/s without burst; other events 20/s, a full history costs 10)', () => {
  const server = useTestServer({
    users: USERS,
    env: {
      RATE_LIMIT_SEND_PER_SECOND: '5',
      RATE_LIMIT_SEND_BURST: '0',
      RATE_LIMIT_EVENTS_PER_SECOND: '20',
      RATE_LIMIT_EVENTS_BURST: '0',
      RATE_LIMIT_FULL_HISTORY_COST: '10',
    },
  });

  it('refuses sends over the limit with "too many requests" and how long to wait', async () => {
    const before = await refusals(server.url);
    const alice = await connectAs(server.url, ALICE);
    const { exceptions } = burst(
      alice,
      'send_message',
      Array.from({ length: 40 }, (_, i) => send(ALICE, BOB, `r${i}`)),
    );
    await eventually(async () => {
      expect(exceptions.length + (await count(server, 'messages'))).toBe(40);
    }, 10_000);
    const stored = await count(server, 'messages');
    log(
      `send limit 5/s: 40 sent at once, ${stored} stored, ${exceptions.length} refused, e.g. "${exceptions[0]?.message}"`,
    );
    // 5 a second: the burst spans one window, two at most.
    expect(stored).toBeGreaterThanOrEqual(5);
    expect(stored).toBeLessThanOrEqual(10);
    expect(exceptions[0].message).toMatch(
      /^too many requests: at most 5 send_message per second per connection; retry in \d+ ms$/,
    );
    expect(grown(before, await refusals(server.url))).toEqual({ rate_socket: exceptions.length });
  });

  it("counts a user's sends on all their sockets together", async () => {
    const phone = await connectAs(server.url, ALICE);
    const tablet = await connectAs(server.url, ALICE);
    await sleep(1100); // a fresh window for Alice
    const before = await refusals(server.url);
    burst(
      phone,
      'send_message',
      Array.from({ length: 5 }, (_, i) => send(ALICE, BOB, `phone ${i}`)),
    );
    await eventually(async () => expect(await count(server, 'messages')).toBe(5));
    const { exceptions } = burst(
      tablet,
      'send_message',
      Array.from({ length: 5 }, (_, i) => send(ALICE, BOB, `tablet ${i}`)),
    );
    await eventually(async () => {
      expect(exceptions.length + (await count(server, 'messages'))).toBe(10);
    });
    const counted = grown(before, await refusals(server.url));
    log(
      `per user: 5 from the phone, then 5 from the tablet: ${exceptions.length} refused; ${JSON.stringify(counted)}`,
    );
    // The tablet's own limit is untouched: only the user's stops it (a new second gives it 5 at most).
    expect(counted.rate_user).toBeGreaterThanOrEqual(1);
    expect(counted.rate_socket).toBeUndefined();
    expect(exceptions[0].message).toMatch(/per second per user; retry in/);
  });

  it('charges a full-history get_message more than a page', async () => {
    const alice = await connectAs(server.url, ALICE);
    await sleep(1100);
    const pages = collect(alice, 'get_data_message');
    const pageBurst = burst(
      alice,
      'get_message',
      Array.from({ length: 5 }, () => ({ senderId: ALICE, receiverId: BOB, limit: 10 })),
    );
    await eventually(async () => expect(pages).toHaveLength(5));
    expect(pageBurst.exceptions).toEqual([]);
    await sleep(1100);
    const fullBurst = burst(
      alice,
      'get_message',
      Array.from({ length: 5 }, () => JSON.stringify({ senderId: ALICE, receiverId: BOB })),
    );
    await eventually(async () => expect(pages.length + fullBurst.exceptions.length).toBe(10));
    log(
      `5 pages: 5 answered; 5 full histories: ${pages.length - 5} answered, ${fullBurst.exceptions.length} refused`,
    );
    // 20 points a second and 10 a full history: two a second, four if a second turned meanwhile.
    expect(fullBurst.exceptions.length).toBeGreaterThanOrEqual(1);
    expect(fullBurst.exceptions[0].message).toMatch(/a get_message without limit counts 10/);
  });
});

describe('per-user limits across nodes, through Redis (a private redis-server)', () => {
  let redis: PrivateRedis;
  let nodes: TestServer[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `flood-${process.pid}-${Date.now()}`,
      RATE_LIMIT_SEND_PER_SECOND: '1',
      RATE_LIMIT_SEND_BURST: '3',
      RATE_LIMIT_EVENTS_PER_SECOND: '10',
      RATE_LIMIT_EVENTS_BURST: '0',
    };
    nodes = [await startTestServer(env), await startTestServer(env)];
    for (const node of nodes) for (const [id, name] of USERS) await node.createUser(id, name);
  }, 60_000);

  afterAll(async () => {
    // Back before the nodes close: closing the Redis adapter while Redis is down ends in an
    // unhandled rejection (its unsubscribe calls), a Redis-outage matter of its own.
    await redis?.restart();
    await eventually(async () => {
      for (const node of nodes) {
        expect(await (await fetch(`${node.url}/health`)).json()).toMatchObject({ redisUp: true });
      }
    }, 15_000);
    for (const node of nodes) await node.close().catch(() => undefined);
    await redis?.stop();
  }, 30_000);

  it("shares a user's allowance between nodes, and keeps answering (from memory) once Redis is gone", async () => {
    const [a, b] = nodes;
    const onA = await connectAs(a.url, ALICE);
    const onB = await connectAs(b.url, ALICE);
    // 1 a second plus a burst of 3 (for 10 s): 4 sends on node A spend it...
    for (let i = 0; i < 4; i++) await sendMessage(onA, send(ALICE, BOB, `a${i}`));
    // ...so node B, whose socket sent nothing yet, refuses the user's next ones.
    const beforeB = await refusals(b.url);
    const { exceptions } = burst(onB, 'send_message', [
      send(ALICE, BOB, 'b0'),
      send(ALICE, BOB, 'b1'),
    ]);
    await eventually(async () => expect(exceptions.length).toBeGreaterThanOrEqual(1));
    expect(exceptions[0].message).toMatch(/per user/);
    expect(grown(beforeB, await refusals(b.url)).rate_user).toBeGreaterThanOrEqual(1);

    // Redis goes away: events are still answered, and limits still hold, per node.
    await redis.stop();
    await sleep(200);
    const pages: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = waitFor(onA, 'get_data_message', 5000);
      onA.emit('get_message', { senderId: ALICE, receiverId: CAROL, limit: 5 });
      pages.push(await answer);
    }
    expect(pages).toEqual([[], [], [], [], []]);
    // Two sockets of Carol, 8 requests each: within each socket's 10 a second, over the user's.
    const beforeA = await refusals(a.url);
    const carols = [await connectAs(a.url, CAROL), await connectAs(a.url, CAROL)];
    const answered = carols.map((socket) => collect(socket, 'get_data_message'));
    const bursts = carols.map((socket) =>
      burst(
        socket,
        'get_message',
        Array.from({ length: 8 }, () => ({ senderId: CAROL, receiverId: ALICE, limit: 1 })),
      ),
    );
    const total = () =>
      answered.reduce((sum, list) => sum + list.length, 0) +
      bursts.reduce((sum, b) => sum + b.exceptions.length, 0);
    await eventually(async () => expect(total()).toBe(16), 15_000);
    const refused = bursts.flatMap((b) => b.exceptions);
    const counted = grown(beforeA, await refusals(a.url));
    log(
      `Redis stopped: 5 of 5 get_message answered; 2 x 8 from one user (limit 10/s): ` +
        `${16 - refused.length} answered, ${refused.length} refused; ${JSON.stringify(counted)}`,
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].message).toMatch(/^too many requests: .* per user/);
    expect(counted.rate_user).toBe(refused.length);
  }, 60_000);
});
