// The durable feed (issue 11; contract "Extensions: Durable feed"): every event
// addressed to a user has a consecutive position in that user's feed; a client
// that was away catches up with sync (or `since` in the handshake) and ends with
// exactly what it missed, in order, none twice. Legacy sockets see no change.
import { block, expectException, getMessages, sendMessage, VARIANTS } from './support/protocol.js';

import {
  connect,
  connectAs,
  emitWithAck,
  waitFor,
  type ConnectOptions,
  type TestSocket,
} from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import { FeedService } from '../src/feed/feed.service.js';
import { hs256, SECRET } from './support/tokens.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const FEED_EVENTS = ['new_message', 'read_status', 'block_data', 'cleared_chat'] as const;

interface Received {
  event: string;
  payload: any;
}

/** Records, in arrival order, every event of `names` on the socket. */
function record(socket: TestSocket, names: readonly string[]): Received[] {
  const seen: Received[] = [];
  for (const event of names) socket.on(event, (payload: any) => seen.push({ event, payload }));
  return seen;
}

/** Connects with `since` in the handshake (auth for v4, query for v2) and binds to userId. */
async function connectWithSince(
  url: string,
  userId: number,
  since: number,
  options: ConnectOptions = {},
): Promise<{ socket: TestSocket; order: Received[]; firstPage: Promise<any> }> {
  const socket = await connect(url, {
    ...options,
    ...(options.version === 'v2' ? { query: { since: String(since) } } : { auth: { since } }),
  });
  const order = record(socket, ['connect_listener', 'sync_data', ...FEED_EVENTS]);
  const firstPage = waitFor(socket, 'sync_data');
  const bound = waitFor(socket, 'connect_listener');
  socket.emit('connect_user', { userId: String(userId) });
  await bound;
  return { socket, order, firstPage };
}

const send = (socket: TestSocket, senderId: number, receiverId: number, message: string) =>
  sendMessage(socket, { senderId, receiverId, messageType: 0, message });

/** Expects `exception` for the request, with `words` in its message. */
async function refused(socket: TestSocket, payload: unknown, words: string): Promise<void> {
  const error = await expectException(socket, 'sync', payload);
  expect(error.message).toContain(words);
}

const sync = (socket: TestSocket, userId: number, since: number, limit?: number) =>
  emitWithAck(socket, 'sync', { userId, since, ...(limit === undefined ? {} : { limit }) });

describe('durable feed', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ],
  });

  for (const variant of [VARIANTS[0], VARIANTS[3]]) {
    it(`${variant.name}: a client that was away gets exactly what it missed, in order, with since`, async () => {
      const options = { version: variant.version, transport: variant.transport };
      // Alice's phone opts in from the start (since 0): an empty first page.
      const phone = await connectWithSince(server.url, ALICE, 0, options);
      expect(await phone.firstPage).toEqual({ events: [], next: 0, hasMore: false });
      expect(phone.order.map((r) => r.event).slice(0, 2)).toEqual([
        'connect_listener',
        'sync_data',
      ]);
      const tablet = await connectAs(server.url, ALICE, options);
      await sync(tablet, ALICE, 0); // the tablet opts in too: it sees every live event with pos
      const bob = await connectAs(server.url, BOB, options);

      // One event while the phone is here: it carries pos 1.
      const live = waitFor(phone.socket, 'new_message');
      await send(bob, BOB, ALICE, 'while connected');
      const first = await live;
      expect(first.pos).toBe(1);
      phone.socket.close();

      // While the phone is away: messages both ways, reads, a block and an unblock,
      // and a clear from Alice's own tablet.
      const tabletSaw = record(tablet, FEED_EVENTS);
      for (const text of ['away 1', 'away 2']) await send(bob, BOB, ALICE, text);
      await emitWithAck(tablet, 'read_unread', { userId: ALICE, user2Id: BOB });
      await send(tablet, ALICE, BOB, 'from the tablet');
      await getMessages(bob, { senderId: BOB, receiverId: ALICE }); // Bob reads: read_status to Alice
      await block(bob, BOB, ALICE, 1);
      await block(bob, BOB, ALICE, 0);
      await send(bob, BOB, ALICE, 'after the unblock');
      const cleared = await emitWithAck(tablet, 'delete_chat', {
        senderId: ALICE,
        receiverId: CAROL,
      });
      expect(cleared).toEqual({
        success_message: 'chat cleared successfully',
        senderId: ALICE,
        receiverId: CAROL,
        pos: expect.any(Number),
      });
      // The tablet got every feed event live (cleared_chat as the answer to its own request).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const expected = tabletSaw
        .filter((e) => e.payload.pos > first.pos)
        .sort((a, b) => a.payload.pos - b.payload.pos);
      expect(expected.map((e) => e.payload.pos)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(expected.at(-1)).toEqual({ event: 'cleared_chat', payload: cleared });

      // The phone comes back with the last position it saw.
      const back = await connectWithSince(server.url, ALICE, first.pos, options);
      const page = await back.firstPage;
      expect(back.order[0].event).toBe('connect_listener');
      expect(back.order[1].event).toBe('sync_data');
      expect(page.hasMore).toBe(false);
      expect(page.next).toBe(10);
      expect(page.events.map((e: any) => e.pos)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Each entry is exactly the live event another device of Alice's received.
      expect(page.events).toEqual(
        expected.map((e) => ({ pos: e.payload.pos, event: e.event, data: e.payload })),
      );
      console.log(
        `feed catch-up (${variant.name}): missed ${expected.length}, synced ${page.events.length}, ` +
          `duplicates ${page.events.length - new Set(page.events.map((e: any) => e.pos)).size}`,
      );
    });
  }

  it('pages with limit, and answers reset for a position that was pruned or never handed out', async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    for (let i = 0; i < 7; i++) await send(bob, BOB, ALICE, `m${i}`);
    const pages = [];
    let since = 0;
    for (;;) {
      const page = await sync(alice, ALICE, since, 3);
      pages.push(page.events.map((e: any) => e.data.message));
      expect(page.next).toBe(since + page.events.length);
      since = page.next;
      if (!page.hasMore) break;
    }
    expect(pages).toEqual([['m0', 'm1', 'm2'], ['m3', 'm4', 'm5'], ['m6']]);
    // A limit string is read like other numbers; out of range is refused.
    expect((await sync(alice, ALICE, 0, '2' as unknown as number)).events).toHaveLength(2);
    await refused(alice, { userId: ALICE, since: 0, limit: 501 }, 'limit');

    // Ahead of the head: the client's position came from elsewhere.
    expect(await sync(alice, ALICE, 99)).toEqual({
      events: [],
      next: 7,
      hasMore: false,
      reset: true,
    });
    // The first three events age past the retention and are pruned.
    await server.query(
      `UPDATE feed_events SET created = created - 31 * 86400 WHERE user_id = $1 AND pos <= 3`,
      [ALICE],
    );
    const pruned = await server.app.get(FeedService).prune();
    expect(pruned).toBeGreaterThanOrEqual(3);
    expect(await sync(alice, ALICE, 0)).toEqual({
      events: [],
      next: 7,
      hasMore: false,
      reset: true,
    });
    expect(await sync(alice, ALICE, 2)).toEqual({
      events: [],
      next: 7,
      hasMore: false,
      reset: true,
    });
    const rest = await sync(alice, ALICE, 3);
    expect(rest.events.map((e: any) => e.pos)).toEqual([4, 5, 6, 7]);
    expect(rest.reset).toBeUndefined();
  });

  it('answers reset when an event inside the page is gone, not a page with a hole', async () => {
    // Pruning deletes by age in batches of rows in no particular order, and `created` is the
    // transaction's start (a later position can be older by a lock wait): pos 3 may be gone
    // while pos 2 and 4 are still there. A client at 1 must not get [2, 4] as if 3 never was.
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    for (let i = 0; i < 5; i++) await send(bob, BOB, ALICE, `h${i}`);
    await server.query(
      `UPDATE feed_events SET created = created - 31 * 86400 WHERE user_id = $1 AND pos = 3`,
      [ALICE],
    );
    expect(await server.app.get(FeedService).prune()).toBe(1);
    expect(await sync(alice, ALICE, 1)).toEqual({
      events: [],
      next: 5,
      hasMore: false,
      reset: true,
    });
    // Past the hole the feed is whole again.
    expect((await sync(alice, ALICE, 3)).events.map((e: any) => e.pos)).toEqual([4, 5]);
  });

  it('leaves legacy sockets exactly as they were: no pos, no extra cleared_chat fields', async () => {
    const legacy = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const seen = record(legacy, FEED_EVENTS);
    const row = await send(bob, BOB, ALICE, 'hi');
    expect(row).not.toHaveProperty('pos');
    await emitWithAck(legacy, 'read_unread', { userId: ALICE, user2Id: BOB });
    await block(bob, BOB, ALICE, 1);
    const cleared = await emitWithAck(legacy, 'delete_chat', { senderId: ALICE, receiverId: BOB });
    expect(cleared).toEqual({ success_message: 'chat cleared successfully' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.map((r) => r.event)).toEqual([
      'new_message',
      'read_status',
      'block_data',
      'cleared_chat',
    ]);
    for (const { payload } of seen) expect(payload).not.toHaveProperty('pos');
    expect(seen[3].payload).toEqual({ success_message: 'chat cleared successfully' });
    expect(seen[1].payload).toEqual({ userId: ALICE, user2Id: BOB, readStatus: 1 });
    expect(seen[2].payload).toEqual({ block_data: '1', userId: String(BOB) });
    // Still in the feed: a later sync shows them all.
    const page = await sync(legacy, ALICE, 0);
    expect(page.events.map((e: any) => e.event)).toEqual([
      'new_message',
      'read_status',
      'block_data',
      'cleared_chat',
    ]);
  });

  it('follows the identity rules: refused before binding, for another user, or with a bad since', async () => {
    const unbound = await connect(server.url);
    await refused(unbound, { userId: ALICE, since: 0 }, 'connect_user');
    const alice = await connectAs(server.url, ALICE);
    await refused(alice, { userId: BOB, since: 0 }, 'userId');
    for (const since of [-1, 1.5, 'x', null]) {
      await refused(alice, { userId: ALICE, since }, 'since');
    }
    // A bad since in the handshake: connect_user works, then exception instead of sync_data.
    const socket = await connect(server.url, { auth: { since: 'yesterday' } });
    const handshakeRefusal = waitFor(socket, 'exception');
    socket.emit('connect_user', { userId: String(ALICE) });
    expect(await handshakeRefusal).toMatchObject({ status: 'error', event: 'sync' });
    // Nothing was written to any feed by refused requests.
    expect(await server.query('SELECT * FROM feed_events')).toEqual([]);
  });
});

describe('durable feed with handshake tokens', () => {
  const server = useTestServer({
    env: { AUTH_MODE: 'optional', AUTH_JWT_SECRET: SECRET },
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
    ],
  });

  it('a token socket that connected with since gets pos from the start, before its connect_user', async () => {
    // A token binds the socket at connect: it is in its user's room before connect_user.
    const token = await hs256(SECRET, { expiresIn: 300, claims: { sub: String(ALICE) } });
    const phone = await connect(server.url, { auth: { token, since: 0 } });
    const seen = record(phone, ['new_message']);
    const bob = await connectAs(server.url, BOB);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await send(bob, BOB, ALICE, 'early');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.map((r) => r.payload.pos)).toEqual([1]);
    // Then connect_user: the first page, with the same event at the same pos.
    const firstPage = waitFor(phone, 'sync_data');
    phone.emit('connect_user', { userId: String(ALICE) });
    expect((await firstPage).events.map((e: any) => e.pos)).toEqual([1]);
  });
});
