// block_user and report_user, written from /work/shared/PROTOCOL.md and the legacy API doc.
import { block, count, expectErrorShape, sendMessage, snapshot, text } from './support/protocol.js';
import {
  collect,
  connectAs,
  emitWithAck,
  sleep,
  waitFor,
  type TestSocket,
} from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const UNKNOWN = 999;

const HAVE_BLOCKED = { success_message: 'You Have Blocked This User' };
const ARE_BLOCKED = { success_message: 'You Are Blocked By This User' };
const REPORTED = { success_message: 'Report Added Successfully' };

/** Sends and resolves with the calling socket's new_message: the stored row or the blocked answer. */
const trySend = (socket: TestSocket, senderId: number, receiverId: number, message: string) =>
  sendMessage(socket, text(senderId, receiverId, message));

describe('moderation', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice', 'alice.png'],
      [BOB, 'Bob', 'bob.png'],
      [CAROL, 'Carol'],
    ],
  });

  async function blocks(): Promise<Array<[number, number]>> {
    const rows = await server.query<{ blocker_id: unknown; blocked_id: unknown }>(
      'SELECT blocker_id, blocked_id FROM blocks ORDER BY blocker_id, blocked_id',
    );
    return rows.map((row) => [Number(row.blocker_id), Number(row.blocked_id)]);
  }

  async function reports(): Promise<
    Array<{ reporter: number; reported: number; comment: unknown }>
  > {
    const rows = await server.query<{
      reporter_id: unknown;
      reported_id: unknown;
      comment: unknown;
    }>('SELECT reporter_id, reported_id, comment FROM reports ORDER BY id');
    return rows.map((row) => ({
      reporter: Number(row.reporter_id),
      reported: Number(row.reported_id),
      comment: row.comment,
    }));
  }

  describe('block_user', () => {
    it('answers block_data with status and acting userId as strings to every socket of both users, nobody else', async () => {
      const alicePhone = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE);
      const bobPhone = await connectAs(server.url, BOB);
      const bobTablet = await connectAs(server.url, BOB);
      const carol = await connectAs(server.url, CAROL);
      const carolSeen = collect(carol, 'block_data');
      const answers = [alicePhone, aliceTablet, bobPhone, bobTablet].map((socket) =>
        waitFor(socket, 'block_data'),
      );
      // ids and status as numbers: the answer still carries strings
      alicePhone.emit('block_user', { userId: ALICE, user2Id: BOB, status: 1 });
      for (const answer of await Promise.all(answers)) {
        expect(answer).toMatchObject({ block_data: '1', userId: String(ALICE) });
        expect(typeof answer.block_data).toBe('string');
        expect(typeof answer.userId).toBe('string');
      }
      expect(await blocks()).toEqual([[ALICE, BOB]]);
      await sleep(300);
      expect(carolSeen).toEqual([]);
    });

    it('status 0 unblocks, answering block_data "0" to both users', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const bobBlocked = waitFor(bob, 'block_data');
      await block(alice, ALICE, BOB, 1);
      expect(await bobBlocked).toMatchObject({ block_data: '1', userId: String(ALICE) });
      expect(await blocks()).toEqual([[ALICE, BOB]]);
      const bobAnswer = waitFor(bob, 'block_data');
      const aliceAnswer = await block(alice, ALICE, BOB, 0);
      expect(aliceAnswer).toMatchObject({ block_data: '0', userId: String(ALICE) });
      expect(await bobAnswer).toMatchObject({ block_data: '0', userId: String(ALICE) });
      expect(await blocks()).toEqual([]);
    });

    it('answers through the ack as well, with the same payload', async () => {
      const alice = await connectAs(server.url, ALICE);
      const event = waitFor(alice, 'block_data');
      const ack = await emitWithAck(alice, 'block_user', {
        userId: ALICE,
        user2Id: BOB,
        status: '1',
      });
      expect(ack).toMatchObject({ block_data: '1', userId: String(ALICE) });
      expect(await event).toEqual(ack);
    });

    it('is idempotent: blocking twice answers block_data and keeps a single block', async () => {
      const alice = await connectAs(server.url, ALICE);
      await block(alice, ALICE, BOB, 1);
      const again = await block(alice, ALICE, BOB, 1);
      expect(again).toMatchObject({ block_data: '1', userId: String(ALICE) });
      expect(await blocks()).toEqual([[ALICE, BOB]]);
    });

    it('is idempotent: unblocking someone not blocked answers block_data and changes nothing', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      expect(await block(alice, ALICE, BOB, 0)).toMatchObject({
        block_data: '0',
        userId: String(ALICE),
      });
      expect(await blocks()).toEqual([]);

      // Bob unblocking Alice does not lift Alice's block on Bob
      await block(alice, ALICE, BOB, 1);
      expect(await block(bob, BOB, ALICE, 0)).toMatchObject({
        block_data: '0',
        userId: String(BOB),
      });
      expect(await blocks()).toEqual([[ALICE, BOB]]);
    });

    it('blocks are directional: each side may block the other', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await block(alice, ALICE, BOB, 1);
      await block(bob, BOB, ALICE, 1);
      expect(await blocks()).toEqual([
        [ALICE, BOB],
        [BOB, ALICE],
      ]);
      await block(alice, ALICE, BOB, 0);
      expect(await blocks()).toEqual([[BOB, ALICE]]);
    });

    it('the blocker sending gets "You Have Blocked This User" on the calling socket only; nothing stored or delivered', async () => {
      const alicePhone = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await block(alicePhone, ALICE, BOB, 1);
      const tabletSeen = collect(aliceTablet, 'new_message');
      const bobSeen = collect(bob, 'new_message');

      const answer = await trySend(alicePhone, ALICE, BOB, 'hello blocked bob');
      expect(answer).toMatchObject(HAVE_BLOCKED);
      await sleep(300);
      expect(tabletSeen).toEqual([]);
      expect(bobSeen).toEqual([]);
      expect(await count(server, 'messages')).toBe(0);
      expect(await count(server, 'chat_constants')).toBe(0);
    });

    it('the blocked user sending gets "You Are Blocked By This User"; nothing stored or delivered', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const bobTablet = await connectAs(server.url, BOB);
      await block(alice, ALICE, BOB, 1);
      const aliceSeen = collect(alice, 'new_message');
      const tabletSeen = collect(bobTablet, 'new_message');

      const answer = await trySend(bob, BOB, ALICE, 'let me in');
      expect(answer).toMatchObject(ARE_BLOCKED);
      await sleep(300);
      expect(aliceSeen).toEqual([]);
      expect(tabletSeen).toEqual([]);
      expect(await count(server, 'messages')).toBe(0);
    });

    it('a block leaves an existing conversation untouched', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const first = await trySend(alice, ALICE, BOB, 'before the block');
      expect(first).toMatchObject({ id: expect.any(Number), message: 'before the block' });
      const before = await snapshot(server, ['chat_constants', 'messages']);
      await block(bob, BOB, ALICE, 1);
      expect(await trySend(alice, ALICE, BOB, 'after the block')).toMatchObject(ARE_BLOCKED);
      expect(await trySend(bob, BOB, ALICE, 'bob writes anyway')).toMatchObject(HAVE_BLOCKED);
      const after = await snapshot(server, ['chat_constants', 'messages']);
      expect(after).toEqual(before);
    });

    it('"You Have Blocked This User" wins when both blocked each other', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await block(alice, ALICE, BOB, 1);
      await block(bob, BOB, ALICE, 1);
      expect(await trySend(alice, ALICE, BOB, 'from alice')).toMatchObject(HAVE_BLOCKED);
      expect(await trySend(bob, BOB, ALICE, 'from bob')).toMatchObject(HAVE_BLOCKED);
      expect(await count(server, 'messages')).toBe(0);
    });

    it('after unblocking, messages flow again', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await block(alice, ALICE, BOB, 1);
      expect(await trySend(bob, BOB, ALICE, 'blocked')).toMatchObject(ARE_BLOCKED);
      await block(alice, ALICE, BOB, 0);

      const delivered = waitFor(alice, 'new_message');
      const echoed = await trySend(bob, BOB, ALICE, 'free again');
      expect(echoed).toMatchObject({ senderId: BOB, receiverId: ALICE, message: 'free again' });
      expect(await delivered).toEqual(echoed);
      const rows = await server.query<{ message: string }>('SELECT message FROM messages');
      expect(rows.map((row) => row.message)).toEqual(['free again']);

      const back = waitFor(bob, 'new_message', { match: (row: any) => row?.message === 'hi bob' });
      await trySend(alice, ALICE, BOB, 'hi bob');
      expect(await back).toMatchObject({ senderId: ALICE, receiverId: BOB });
    });

    it('a block between two users does not affect their conversations with others', async () => {
      const alice = await connectAs(server.url, ALICE);
      const carol = await connectAs(server.url, CAROL);
      await block(alice, ALICE, BOB, 1);
      const delivered = waitFor(carol, 'new_message');
      const echoed = await trySend(alice, ALICE, CAROL, 'hi carol');
      expect(echoed).toMatchObject({ senderId: ALICE, receiverId: CAROL, message: 'hi carol' });
      expect(await delivered).toEqual(echoed);
    });

    it('validation comes first: an invalid send between blocked users gets an exception, not the block answer', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await block(alice, ALICE, BOB, 1);
      const aliceMessages = collect(alice, 'new_message');
      const bobMessages = collect(bob, 'new_message');

      const invalid: Array<[TestSocket, Record<string, unknown>]> = [
        [alice, { senderId: ALICE, receiverId: BOB, messageType: 0, message: '' }],
        [alice, { senderId: ALICE, receiverId: BOB, messageType: 7, message: 'bad type' }],
        [alice, { senderId: ALICE, receiverId: BOB, messageType: 0, message: 'x'.repeat(10_001) }],
        [bob, { senderId: BOB, receiverId: ALICE, messageType: 0, message: '' }],
        [bob, { senderId: BOB, receiverId: ALICE, messageType: 'text', message: 'bad type' }],
        [bob, { senderId: BOB, receiverId: ALICE, messageType: 0 }],
      ];
      for (const [socket, payload] of invalid) {
        const exception = waitFor(socket, 'exception');
        socket.emit('send_message', payload);
        expectErrorShape(await exception, 'send_message');
      }
      await sleep(300);
      expect(aliceMessages).toEqual([]);
      expect(bobMessages).toEqual([]);
      expect(await count(server, 'messages')).toBe(0);
    });

    it('refuses a block naming an unknown user or oneself, and changes nothing', async () => {
      const alice = await connectAs(server.url, ALICE);
      const blockData = collect(alice, 'block_data');
      for (const payload of [
        { userId: ALICE, user2Id: UNKNOWN, status: 1 },
        { userId: ALICE, user2Id: ALICE, status: 1 },
        { userId: BOB, user2Id: CAROL, status: 1 },
        { userId: ALICE, user2Id: BOB, status: 2 },
        { userId: ALICE, user2Id: BOB },
      ]) {
        const exception = waitFor(alice, 'exception');
        alice.emit('block_user', payload);
        expectErrorShape(await exception, 'block_user');
      }
      await sleep(300);
      expect(blockData).toEqual([]);
      expect(await blocks()).toEqual([]);
    });
  });

  describe('report_user', () => {
    it('answers report_data on the calling socket only and stores who reported whom', async () => {
      const alicePhone = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const tabletSeen = collect(aliceTablet, 'report_data');
      const bobSeen = collect(bob, 'report_data');

      const answer = waitFor(alicePhone, 'report_data');
      alicePhone.emit('report_user', { userId: String(ALICE), user2Id: String(BOB) });
      expect(await answer).toMatchObject(REPORTED);

      const stored = await reports();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ reporter: ALICE, reported: BOB });
      expect([null, '']).toContain(stored[0].comment);
      const [{ created_at }] = await server.query<{ created_at: unknown }>(
        'SELECT created_at FROM reports',
      );
      expect(created_at).not.toBeNull();

      await sleep(300);
      expect(tabletSeen).toEqual([]);
      expect(bobSeen).toEqual([]);
    });

    it('answers through the ack as well, with the same payload', async () => {
      const alice = await connectAs(server.url, ALICE);
      const event = waitFor(alice, 'report_data');
      const ack = await emitWithAck(alice, 'report_user', { userId: ALICE, user2Id: BOB });
      expect(ack).toMatchObject(REPORTED);
      expect(await event).toEqual(ack);
    });

    it('stores the optional comment exactly', async () => {
      const alice = await connectAs(server.url, ALICE);
      const comment = 'Spam & insults 😡 — "quoted" \n second line';
      const answer = waitFor(alice, 'report_data');
      alice.emit('report_user', JSON.stringify({ userId: ALICE, user2Id: BOB, comment }));
      expect(await answer).toMatchObject(REPORTED);
      expect(await reports()).toEqual([{ reporter: ALICE, reported: BOB, comment }]);
    });

    it('keeps every report: two reports make two rows', async () => {
      const alice = await connectAs(server.url, ALICE);
      const carol = await connectAs(server.url, CAROL);
      let answer = waitFor(alice, 'report_data');
      alice.emit('report_user', { userId: ALICE, user2Id: BOB, comment: 'first' });
      expect(await answer).toMatchObject(REPORTED);
      answer = waitFor(alice, 'report_data');
      alice.emit('report_user', { userId: ALICE, user2Id: BOB, comment: 'second' });
      expect(await answer).toMatchObject(REPORTED);
      answer = waitFor(carol, 'report_data');
      carol.emit('report_user', { userId: CAROL, user2Id: BOB });
      expect(await answer).toMatchObject(REPORTED);

      const stored = await reports();
      expect(stored).toHaveLength(3);
      expect(stored.slice(0, 2)).toEqual([
        { reporter: ALICE, reported: BOB, comment: 'first' },
        { reporter: ALICE, reported: BOB, comment: 'second' },
      ]);
      expect(stored[2]).toMatchObject({ reporter: CAROL, reported: BOB });
    });

    it('accepts a comment of exactly 1,000 code points (emoji)', async () => {
      const alice = await connectAs(server.url, ALICE);
      const comment = '🚩'.repeat(1000); // 1,000 code points, 2,000 UTF-16 units
      const answer = waitFor(alice, 'report_data');
      alice.emit('report_user', { userId: ALICE, user2Id: BOB, comment });
      expect(await answer).toMatchObject(REPORTED);
      expect(await reports()).toEqual([{ reporter: ALICE, reported: BOB, comment }]);
    });

    it('refuses a comment over 1,000 code points or not a string, and stores nothing', async () => {
      const alice = await connectAs(server.url, ALICE);
      const reportData = collect(alice, 'report_data');
      for (const comment of [
        '🚩'.repeat(1001),
        'x'.repeat(1001),
        42,
        { text: 'hi' },
        ['a'],
        true,
      ]) {
        const exception = waitFor(alice, 'exception');
        alice.emit('report_user', { userId: ALICE, user2Id: BOB, comment });
        expectErrorShape(await exception, 'report_user');
      }
      // and through the ack, with the same error object
      const ack = await emitWithAck(alice, 'report_user', {
        userId: ALICE,
        user2Id: BOB,
        comment: 'y'.repeat(1001),
      });
      expectErrorShape(ack, 'report_user');
      await sleep(300);
      expect(reportData).toEqual([]);
      expect(await count(server, 'reports')).toBe(0);
    });

    it('refuses an unknown user2Id, oneself, or a foreign acting user, and stores nothing', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const reportData = collect(alice, 'report_data');
      const bobExceptions = collect(bob, 'exception');
      for (const payload of [
        { userId: ALICE, user2Id: UNKNOWN },
        { userId: ALICE, user2Id: ALICE },
        { userId: BOB, user2Id: CAROL },
        { userId: ALICE },
        { userId: ALICE, user2Id: '0' },
      ]) {
        const exception = waitFor(alice, 'exception');
        alice.emit('report_user', payload);
        expectErrorShape(await exception, 'report_user');
      }
      await sleep(300);
      expect(reportData).toEqual([]);
      expect(bobExceptions).toEqual([]);
      expect(await count(server, 'reports')).toBe(0);
    });
  });
});
