// chat_listing and delete_chat, written from /work/shared/PROTOCOL.md and the legacy API doc.
import {
  chatListing,
  count,
  eventually,
  expectIntegerFields,
  expectStringFields,
  getMessages,
  nowCeil,
  nowFloor,
  request,
  VARIANTS,
  sendMessage,
  snapshot,
  text,
  type Table,
} from './support/protocol.js';
import {
  collect,
  connectAs,
  emitWithAck,
  expectNoEvent,
  sleep,
  waitFor,
  type TestSocket,
} from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const DAVE = 4;

const CLEARED = { success_message: 'chat cleared successfully' };
/** The tables delete_chat may change. */
const CONVERSATION_TABLES: Table[] = ['chat_constants', 'messages'];

/** Sends a message and resolves with the stored row as echoed to the sending socket. */
function send(
  socket: TestSocket,
  senderId: number,
  receiverId: number,
  message: string,
  messageType = 0,
): Promise<any> {
  return sendMessage(
    socket,
    text(senderId, receiverId, message, String(messageType)),
    (row: any) => row && row.senderId === senderId && row.message === message,
  );
}

const history = (socket: TestSocket, senderId: number, receiverId: number) =>
  getMessages(socket, { senderId: String(senderId), receiverId: String(receiverId) });

const clearChat = (socket: TestSocket, senderId: number, receiverId: number) =>
  request(socket, 'delete_chat', { senderId: String(senderId), receiverId: String(receiverId) });

describe('conversations', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice', 'alice.png'],
      [BOB, 'Bob', null],
      [CAROL, 'Carol', 'carol.jpg'],
      [DAVE, 'Dave', ''],
    ],
  });

  async function messageIdsInDb(): Promise<number[]> {
    const rows = await server.query<{ id: unknown }>('SELECT id FROM messages ORDER BY id');
    return rows.map((row) => Number(row.id));
  }

  describe('chat_listing', () => {
    it('answers [] when the user has no conversation, even when others have some', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const carol = await connectAs(server.url, CAROL);
      expect(await chatListing(carol, CAROL)).toEqual([]);
      await send(alice, ALICE, BOB, 'hello');
      expect(await chatListing(carol, CAROL)).toEqual([]);
      expect(await chatListing(bob, BOB)).toHaveLength(1);
    });

    it('answers on the calling socket only', async () => {
      const alice = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(alice, ALICE, BOB, 'hello');
      const tabletSeen = collect(aliceTablet, 'chat_message');
      const bobSeen = collect(bob, 'chat_message');
      const rows = await chatListing(alice, ALICE);
      expect(rows).toHaveLength(1);
      await sleep(300);
      expect(tabletSeen).toEqual([]);
      expect(bobSeen).toEqual([]);
    });

    it.each(VARIANTS)(
      'answers through the ack as well, with the same rows, over $name',
      async ({ version, transport }) => {
        const alice = await connectAs(server.url, ALICE, { version, transport });
        await send(alice, ALICE, BOB, 'hello');
        await send(alice, ALICE, CAROL, 'hi "Carol"');
        const event = waitFor<any[]>(alice, 'chat_message');
        const acked = await emitWithAck<any[]>(alice, 'chat_listing', { userId: String(ALICE) });
        expect(acked.map((r) => [r.user_id, r.lastMessage])).toEqual([
          [CAROL, 'hi "Carol"'],
          [BOB, 'hello'],
        ]);
        expect(await event).toEqual(acked);
      },
    );

    it('describes each conversation field by field with exact JSON types', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);

      const t0 = nowFloor();
      const m1 = await send(alice, ALICE, BOB, 'hello', 0);
      const t1 = nowCeil();
      await send(bob, BOB, ALICE, 'photo.png', 1);
      const t2 = nowFloor();
      const m3 = await send(alice, ALICE, BOB, 'clip.mp4', 2);
      const t3 = nowCeil();

      const [constant] = await server.query<{ id: unknown }>('SELECT id FROM chat_constants');
      const conversationId = Number(constant.id);
      expect(m1.chatConstantId).toBe(conversationId);
      expect(m3.chatConstantId).toBe(conversationId);

      const bobRows = await chatListing(bob, BOB);
      expect(bobRows).toHaveLength(1);
      const row = bobRows[0];
      expectIntegerFields(row, [
        'id',
        'senderId',
        'receiverId',
        'groupId',
        'lastMessageId',
        'deletedId',
        'created',
        'updated',
        'user_id',
        'created_at',
        'messageType',
        'isOnline',
        'unreadcount',
      ]);
      expectStringFields(row, ['lastMessage', 'userName', 'userImage']);
      expect(row.id).toBe(conversationId);
      expect([row.senderId, row.receiverId].sort()).toEqual([ALICE, BOB]);
      expect(row.groupId).toBe(0);
      expect(row.lastMessageId).toBe(m3.id);
      expect(row.deletedId).toBe(0);
      // created by the first message, updated by the last one (unix seconds)
      expect(row.created).toBeGreaterThanOrEqual(t0);
      expect(row.created).toBeLessThanOrEqual(t1);
      expect(row.updated).toBeGreaterThanOrEqual(t2);
      expect(row.updated).toBeLessThanOrEqual(t3);
      expect(row.user_id).toBe(ALICE);
      expect(row.lastMessage).toBe('clip.mp4');
      expect(row.userName).toBe('Alice');
      expect(row.userImage).toBe('alice.png');
      expect(row.created_at).toBe(m3.created);
      expect(row.messageType).toBe(2);
      expect(row.isOnline).toBe(1);
      expect(row.unreadcount).toBe(2);

      const aliceRows = await chatListing(alice, ALICE);
      expect(aliceRows).toHaveLength(1);
      expect(aliceRows[0]).toMatchObject({
        id: conversationId,
        groupId: 0,
        lastMessageId: m3.id,
        deletedId: 0,
        created: row.created,
        updated: row.updated,
        user_id: BOB,
        lastMessage: 'clip.mp4',
        userName: 'Bob',
        userImage: '',
        created_at: m3.created,
        messageType: 2,
        isOnline: 1,
        unreadcount: 1,
      });
      expect([aliceRows[0].senderId, aliceRows[0].receiverId].sort()).toEqual([ALICE, BOB]);
    });

    it('gives userImage "" (never null) for a profile without image, whether stored as null or ""', async () => {
      const alice = await connectAs(server.url, ALICE);
      await send(alice, ALICE, BOB, 'to bob (image null)');
      await send(alice, ALICE, DAVE, 'to dave (image "")');
      const rows = await chatListing(alice, ALICE);
      expect(rows).toHaveLength(2);
      const byUser = new Map(rows.map((row) => [row.user_id, row]));
      expect(byUser.get(BOB)).toMatchObject({ userName: 'Bob', userImage: '' });
      expect(byUser.get(DAVE)).toMatchObject({ userName: 'Dave', userImage: '' });
    });

    it('reports the last message and its type, and takes messageType given as a number', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(alice, ALICE, BOB, 'first', 2);
      const echoed = waitFor(bob, 'new_message', { match: (row: any) => row?.message === 'last' });
      bob.emit('send_message', {
        senderId: BOB,
        receiverId: ALICE,
        messageType: 1,
        message: 'last',
      });
      const last = await echoed;
      const [row] = await chatListing(alice, ALICE);
      expect(row).toMatchObject({
        lastMessageId: last.id,
        lastMessage: 'last',
        messageType: 1,
        created_at: last.created,
      });
    });

    it('lists the newest conversation first, by last message id', async () => {
      const alice = await connectAs(server.url, ALICE);
      const carol = await connectAs(server.url, CAROL);
      const toBob = await send(alice, ALICE, BOB, 'to bob');
      const toCarol = await send(alice, ALICE, CAROL, 'to carol');
      const toDave = await send(alice, ALICE, DAVE, 'to dave');
      let rows = await chatListing(alice, ALICE);
      expect(rows.map((row) => [row.user_id, row.lastMessageId])).toEqual([
        [DAVE, toDave.id],
        [CAROL, toCarol.id],
        [BOB, toBob.id],
      ]);

      const again = await send(alice, ALICE, BOB, 'bob again');
      rows = await chatListing(alice, ALICE);
      expect(rows.map((row) => [row.user_id, row.lastMessageId])).toEqual([
        [BOB, again.id],
        [DAVE, toDave.id],
        [CAROL, toCarol.id],
      ]);

      // a message from the other side moves the conversation up as well
      const fromCarol = await send(carol, CAROL, ALICE, 'carol writes');
      rows = await chatListing(alice, ALICE);
      expect(rows.map((row) => [row.user_id, row.lastMessageId])).toEqual([
        [CAROL, fromCarol.id],
        [BOB, again.id],
        [DAVE, toDave.id],
      ]);
    });

    it('keeps one conversation per unordered pair, whoever writes', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const m1 = await send(alice, ALICE, BOB, 'a->b');
      const m2 = await send(bob, BOB, ALICE, 'b->a');
      expect(m2.chatConstantId).toBe(m1.chatConstantId);
      expect(await count(server, 'chat_constants')).toBe(1);
      expect(await chatListing(alice, ALICE)).toHaveLength(1);
      expect(await chatListing(bob, BOB)).toHaveLength(1);
    });

    it('keeps one conversation per unordered pair even when both users send first simultaneously', async () => {
      const pairs: Array<[number, number]> = [];
      for (let low = 11; low < 31; low += 2) pairs.push([low, low + 1]);
      for (const [low, high] of pairs) {
        await server.createUser(low);
        await server.createUser(high);
      }
      const sockets = new Map<number, TestSocket>();
      for (const [low, high] of pairs) {
        sockets.set(low, await connectAs(server.url, low));
        sockets.set(high, await connectAs(server.url, high));
      }
      const seen = new Map<number, any[]>();
      for (const [id, socket] of sockets) seen.set(id, collect(socket, 'new_message'));

      // every user of every pair writes first, at the same time, twice
      for (let round = 0; round < 2; round++) {
        for (const [low, high] of pairs) {
          const a = sockets.get(low)!;
          const b = sockets.get(high)!;
          a.emit('send_message', {
            senderId: low,
            receiverId: high,
            messageType: 0,
            message: `r${round}`,
          });
          b.emit('send_message', {
            senderId: high,
            receiverId: low,
            messageType: 0,
            message: `r${round}`,
          });
        }
      }
      await eventually(async () => {
        for (const rows of seen.values()) expect(rows).toHaveLength(4);
      }, 5000);

      const constants = await server.query<{ user_low_id: unknown; user_high_id: unknown }>(
        'SELECT user_low_id, user_high_id FROM chat_constants ORDER BY user_low_id',
      );
      expect(constants.map((row) => [Number(row.user_low_id), Number(row.user_high_id)])).toEqual(
        pairs,
      );
      for (const [low, high] of pairs) {
        const rows = seen.get(low)!;
        expect(new Set(rows.map((row) => row.chatConstantId)).size).toBe(1);
        expect(seen.get(high)![0].chatConstantId).toBe(rows[0].chatConstantId);
        const lowRows = await chatListing(sockets.get(low)!, low);
        expect(lowRows).toHaveLength(1);
        expect(lowRows[0]).toMatchObject({ id: rows[0].chatConstantId, user_id: high });
      }
    });

    it('shows isOnline 0 for a user who never connected', async () => {
      const alice = await connectAs(server.url, ALICE);
      await send(alice, ALICE, CAROL, 'are you there?');
      const [row] = await chatListing(alice, ALICE);
      expect(row).toMatchObject({ user_id: CAROL, isOnline: 0 });
    });

    it('keeps isOnline 1 while a second device is connected, and 0 once all sockets are gone', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bobPhone = await connectAs(server.url, BOB);
      const bobTablet = await connectAs(server.url, BOB);
      await send(alice, ALICE, BOB, 'hi bob');
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, isOnline: 1 });

      bobTablet.close();
      await sleep(300);
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, isOnline: 1 });

      bobPhone.close();
      await eventually(async () => {
        expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, isOnline: 0 });
      });

      // and back online when Bob reconnects
      await connectAs(server.url, BOB);
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, isOnline: 1 });
    });

    it('counts unread messages addressed to the requester, and 0 after reading them', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(alice, ALICE, BOB, 'one');
      await send(alice, ALICE, BOB, 'two');
      await send(alice, ALICE, BOB, 'three');
      await send(bob, BOB, ALICE, 'reply');

      expect((await chatListing(bob, BOB))[0]).toMatchObject({ user_id: ALICE, unreadcount: 3 });
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, unreadcount: 1 });

      // Bob reads the conversation: his count drops to 0, Alice's is untouched
      const rows = await history(bob, BOB, ALICE);
      expect(rows).toHaveLength(4);
      expect((await chatListing(bob, BOB))[0]).toMatchObject({ unreadcount: 0 });
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ unreadcount: 1 });

      // unread counts are per conversation
      const carol = await connectAs(server.url, CAROL);
      await send(carol, CAROL, BOB, 'from carol');
      const bobRows = await chatListing(bob, BOB);
      expect(bobRows.map((row) => [row.user_id, row.unreadcount])).toEqual([
        [CAROL, 1],
        [ALICE, 0],
      ]);
    });
  });

  describe('delete_chat', () => {
    async function conversation(): Promise<{
      alice: TestSocket;
      bob: TestSocket;
      ids: number[];
    }> {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const ids = [
        (await send(alice, ALICE, BOB, 'a1')).id,
        (await send(bob, BOB, ALICE, 'b1')).id,
        (await send(alice, ALICE, BOB, 'a2')).id,
      ];
      return { alice, bob, ids };
    }

    it('answers cleared_chat on the calling socket only', async () => {
      const { alice, bob } = await conversation();
      const aliceTablet = await connectAs(server.url, ALICE);
      const tabletSeen = collect(aliceTablet, 'cleared_chat');
      const bobSeen = collect(bob, 'cleared_chat');
      const answer = await clearChat(alice, ALICE, BOB);
      expect(answer).toMatchObject(CLEARED);
      await sleep(300);
      expect(tabletSeen).toEqual([]);
      expect(bobSeen).toEqual([]);
    });

    it('answers through the ack as well, with the same payload', async () => {
      const { alice } = await conversation();
      const event = waitFor(alice, 'cleared_chat');
      const ack = await emitWithAck(alice, 'delete_chat', { senderId: ALICE, receiverId: BOB });
      expect(ack).toMatchObject(CLEARED);
      expect(await event).toEqual(ack);
    });

    it('clears for the requester only; the other party still sees everything, marked deletedId = clearer', async () => {
      const { alice, bob, ids } = await conversation();
      const carol = await connectAs(server.url, CAROL);
      const fromCarol = await send(carol, CAROL, ALICE, 'c1');

      await clearChat(alice, ALICE, BOB);

      expect(await history(alice, ALICE, BOB)).toEqual([]);
      const aliceRows = await chatListing(alice, ALICE);
      expect(aliceRows.map((row) => row.user_id)).toEqual([CAROL]);
      expect(aliceRows[0]).toMatchObject({ lastMessageId: fromCarol.id, deletedId: 0 });

      const bobHistory = await history(bob, BOB, ALICE);
      expect(bobHistory.map((row) => row.id)).toEqual(ids);
      expect(bobHistory.map((row) => row.message)).toEqual(['a1', 'b1', 'a2']);
      for (const row of bobHistory) expect(row.deletedId).toBe(ALICE);

      const bobRows = await chatListing(bob, BOB);
      expect(bobRows).toHaveLength(1);
      expect(bobRows[0]).toMatchObject({
        user_id: ALICE,
        lastMessageId: ids[2],
        lastMessage: 'a2',
      });

      // nothing is deleted for good while only one side cleared
      expect(await messageIdsInDb()).toEqual([...ids, fromCarol.id]);
      // Alice's other conversation is untouched
      expect((await history(alice, ALICE, CAROL)).map((row) => row.id)).toEqual([fromCarol.id]);
    });

    it("marks the other party's conversation row with deletedId = clearer", async () => {
      const { alice, bob } = await conversation();
      await clearChat(alice, ALICE, BOB);
      const [row] = await chatListing(bob, BOB);
      expect(row).toMatchObject({ user_id: ALICE, deletedId: ALICE });
    });

    it('deletes messages for good once both parties cleared them', async () => {
      const { alice, bob, ids } = await conversation();
      await clearChat(bob, BOB, ALICE);
      expect(await messageIdsInDb()).toEqual(ids);
      await clearChat(alice, ALICE, BOB);
      expect(await messageIdsInDb()).toEqual([]);
      expect(await history(alice, ALICE, BOB)).toEqual([]);
      expect(await history(bob, BOB, ALICE)).toEqual([]);
      expect(await chatListing(alice, ALICE)).toEqual([]);
      expect(await chatListing(bob, BOB)).toEqual([]);
    });

    it('deletes for good only the messages both cleared; later ones stay for the side that did not clear them', async () => {
      const { alice, bob, ids } = await conversation();
      await clearChat(alice, ALICE, BOB);
      const later = await send(bob, BOB, ALICE, 'after alice cleared');
      await clearChat(bob, BOB, ALICE);

      // ids were cleared by both -> gone; `later` was cleared by Bob only -> kept
      expect(await messageIdsInDb()).toEqual([later.id]);
      expect(ids).not.toContain(later.id);
      const [stored] = await server.query<{ deleted_id: unknown }>(
        'SELECT deleted_id FROM messages WHERE id = $1',
        [later.id],
      );
      expect(Number(stored.deleted_id)).toBe(BOB);

      const aliceHistory = await history(alice, ALICE, BOB);
      expect(aliceHistory.map((row) => [row.id, row.message, row.deletedId])).toEqual([
        [later.id, 'after alice cleared', BOB],
      ]);
      expect(await history(bob, BOB, ALICE)).toEqual([]);
      expect(await chatListing(bob, BOB)).toEqual([]);
      expect((await chatListing(alice, ALICE)).map((row) => row.lastMessageId)).toEqual([later.id]);
    });

    it('a new message makes the conversation visible again to the clearer, with only the messages after the clear', async () => {
      const { alice, bob } = await conversation();
      await clearChat(alice, ALICE, BOB);
      expect(await chatListing(alice, ALICE)).toEqual([]);

      const after = await send(bob, BOB, ALICE, 'are you still there?');
      const rows = await chatListing(alice, ALICE);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        user_id: BOB,
        lastMessageId: after.id,
        lastMessage: 'are you still there?',
        unreadcount: 1,
      });
      const aliceHistory = await history(alice, ALICE, BOB);
      expect(aliceHistory.map((row) => [row.id, row.message, row.deletedId])).toEqual([
        [after.id, 'are you still there?', 0],
      ]);

      // the same holds when the clearer writes the new message
      await clearChat(alice, ALICE, BOB);
      expect(await chatListing(alice, ALICE)).toEqual([]);
      const own = await send(alice, ALICE, BOB, 'me again');
      expect((await chatListing(alice, ALICE)).map((row) => row.lastMessageId)).toEqual([own.id]);
      expect((await history(alice, ALICE, BOB)).map((row) => row.id)).toEqual([own.id]);
    });

    it('clearing a conversation that does not exist answers cleared_chat and changes nothing', async () => {
      const { alice } = await conversation();
      const before = await snapshot(server, CONVERSATION_TABLES);
      const answer = await clearChat(alice, ALICE, CAROL);
      expect(answer).toMatchObject(CLEARED);
      expect(await snapshot(server, CONVERSATION_TABLES)).toEqual(before);
      await expectNoEvent(alice, 'exception', 100);
      expect((await chatListing(alice, ALICE)).map((row) => row.user_id)).toEqual([BOB]);
    });

    it('clearing again answers cleared_chat and changes nothing (it is not mistaken for the other side)', async () => {
      const { alice, bob, ids } = await conversation();
      await clearChat(alice, ALICE, BOB);
      const before = await snapshot(server, CONVERSATION_TABLES);
      const answer = await clearChat(alice, ALICE, BOB);
      expect(answer).toMatchObject(CLEARED);
      expect(await snapshot(server, CONVERSATION_TABLES)).toEqual(before);
      expect(await messageIdsInDb()).toEqual(ids);
      expect((await history(bob, BOB, ALICE)).map((row) => row.id)).toEqual(ids);
    });

    it("the other party's clear does not hide messages from the requester's unreadcount", async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(bob, BOB, ALICE, 'unread 1');
      await send(bob, BOB, ALICE, 'unread 2');
      await clearChat(bob, BOB, ALICE);
      // Bob cleared them for himself; Alice still sees both, unread
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, unreadcount: 2 });
      expect(await chatListing(bob, BOB)).toEqual([]);
    });

    it('unreadcount ignores cleared messages', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(bob, BOB, ALICE, 'unread 1');
      await send(bob, BOB, ALICE, 'unread 2');
      await send(bob, BOB, ALICE, 'unread 3');
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ unreadcount: 3 });

      await clearChat(alice, ALICE, BOB);
      await send(bob, BOB, ALICE, 'after the clear');
      expect((await chatListing(alice, ALICE))[0]).toMatchObject({ user_id: BOB, unreadcount: 1 });

      // the cleared messages are still unread in storage: only visibility excludes them
      const [{ count }] = await server.query<{ count: unknown }>(
        'SELECT count(*) AS count FROM messages WHERE receiver_id = $1 AND read_status = 0',
        [ALICE],
      );
      expect(Number(count)).toBe(4);
    });
  });
});
