// End-to-end tests for send_message, get_message and read_unread, written from
// /work/shared/PROTOCOL.md and /work/shared/protocol/legacy-api.txt (the contract),
// not from the implementation.
import {
  VARIANTS,
  block,
  chatListing,
  count,
  expectException,
  expectIntegerFields,
  expectStringFields,
  getMessages,
  sendMessage,
  text,
  windowAround,
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

/** Fields of a new_message row that the original shows as JSON numbers. */
const NEW_MESSAGE_NUMBERS = [
  'id',
  'senderId',
  'receiverId',
  'chatConstantId',
  'groupId',
  'readStatus',
  'messageType',
  'deletedId',
  'created',
  'updated',
] as const;
const NEW_MESSAGE_STRINGS = [
  'message',
  'senderName',
  'senderImage',
  'recieverImage',
  'recieverName',
] as const;
const HISTORY_STRINGS = ['message', 'recieverName', 'image', 'senderName', 'senderImage'] as const;

interface ExpectedNewMessage {
  senderId: number;
  receiverId: number;
  message: string;
  messageType: number;
  senderName: string;
  senderImage: string;
  recieverName: string;
  recieverImage: string;
}

/** Checks a new_message row field by field against the contract. */
function expectNewMessageRow(
  row: any,
  expected: ExpectedNewMessage,
  when: { from: number; to: number },
): void {
  expect(row).toMatchObject({
    id: expect.any(Number),
    senderId: expected.senderId,
    receiverId: expected.receiverId,
    chatConstantId: expect.any(Number),
    groupId: 0,
    message: expected.message,
    readStatus: 0,
    messageType: expected.messageType,
    deletedId: 0,
    created: expect.any(Number),
    updated: expect.any(Number),
    senderName: expected.senderName,
    senderImage: expected.senderImage,
    recieverImage: expected.recieverImage,
    recieverName: expected.recieverName,
  });
  expectIntegerFields(row, NEW_MESSAGE_NUMBERS);
  expectStringFields(row, NEW_MESSAGE_STRINGS);
  expect(row.id).toBeGreaterThan(0);
  expect(row.chatConstantId).toBeGreaterThan(0);
  // unix seconds, not milliseconds
  expect(row.created).toBeGreaterThanOrEqual(when.from);
  expect(row.created).toBeLessThanOrEqual(when.to);
  expect(row.updated).toBeGreaterThanOrEqual(when.from);
  expect(row.updated).toBeLessThanOrEqual(when.to);
}

const ALICE_TO_BOB = {
  senderName: 'Alice',
  senderImage: 'alice.png',
  recieverName: 'Bob',
  recieverImage: '',
};

describe('messages', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice', 'alice.png'],
      [BOB, 'Bob', null], // no image: must read as "" everywhere
      [CAROL, 'Carol', 'carol.jpg'],
    ],
  });

  async function storedMessages(): Promise<any[]> {
    return server.query(
      `SELECT id::int AS id, sender_id::int AS sender_id, receiver_id::int AS receiver_id, message,
              message_type::int AS message_type, read_status::int AS read_status
         FROM messages ORDER BY id`,
    );
  }

  describe('send_message', () => {
    describe.each(VARIANTS)('over $name', (variant) => {
      it('delivers the stored row to every socket of sender and receiver, and not to a third user', async () => {
        const options = { version: variant.version, transport: variant.transport };
        const alicePhone = await connectAs(server.url, ALICE, options);
        const aliceTablet = await connectAs(server.url, ALICE, options);
        const bobPhone = await connectAs(server.url, BOB, options);
        const bobTablet = await connectAs(server.url, BOB, options);
        const carol = await connectAs(server.url, CAROL, options);
        const seen = [alicePhone, aliceTablet, bobPhone, bobTablet, carol].map((s) =>
          collect(s, 'new_message'),
        );
        const others = [aliceTablet, bobPhone, bobTablet].map((s) => waitFor(s, 'new_message'));

        const start = Date.now();
        const row = await sendMessage(alicePhone, text(ALICE, BOB, 'hello'));
        const when = windowAround(start);

        expectNewMessageRow(
          row,
          { senderId: ALICE, receiverId: BOB, message: 'hello', messageType: 0, ...ALICE_TO_BOB },
          when,
        );
        for (const copy of await Promise.all(others)) expect(copy).toEqual(row);

        await sleep(300);
        expect(seen.map((s) => s.length)).toEqual([1, 1, 1, 1, 0]);

        expect(await storedMessages()).toEqual([
          {
            id: row.id,
            sender_id: ALICE,
            receiver_id: BOB,
            message: 'hello',
            message_type: 0,
            read_status: 0,
          },
        ]);
        const chats = await server.query(
          'SELECT id::int AS id, last_message_id::int AS last FROM chat_constants',
        );
        expect(chats).toEqual([{ id: row.chatConstantId, last: row.id }]);
      });

      it('calls the acknowledgement with the same row as new_message', async () => {
        const options = { version: variant.version, transport: variant.transport };
        const alice = await connectAs(server.url, ALICE, options);
        const bob = await connectAs(server.url, BOB, options);
        const onSender = waitFor(alice, 'new_message');
        const onReceiver = waitFor(bob, 'new_message');

        const start = Date.now();
        const acked = await emitWithAck(alice, 'send_message', text(ALICE, BOB, 'with ack'));
        const when = windowAround(start);

        expectNewMessageRow(
          acked,
          {
            senderId: ALICE,
            receiverId: BOB,
            message: 'with ack',
            messageType: 0,
            ...ALICE_TO_BOB,
          },
          when,
        );
        expect(await onSender).toEqual(acked);
        expect(await onReceiver).toEqual(acked);
      });
    });

    it('works across client versions: a v2 polling sender reaches v4 and v2 devices of the receiver', async () => {
      const alice = await connectAs(server.url, ALICE, { version: 'v2', transport: 'polling' });
      const bobV4 = await connectAs(server.url, BOB, { version: 'v4', transport: 'websocket' });
      const bobV2 = await connectAs(server.url, BOB, { version: 'v2', transport: 'websocket' });
      const onV4 = waitFor(bobV4, 'new_message');
      const onV2 = waitFor(bobV2, 'new_message');
      const start = Date.now();
      const row = await sendMessage(alice, text(ALICE, BOB, 'mixed'));
      expectNewMessageRow(
        row,
        { senderId: ALICE, receiverId: BOB, message: 'mixed', messageType: 0, ...ALICE_TO_BOB },
        windowAround(start),
      );
      expect(await onV4).toEqual(row);
      expect(await onV2).toEqual(row);
    });

    it('accepts the payload as a JSON string with numeric ids and messageType', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const onBob = waitFor(bob, 'new_message');
      const start = Date.now();
      const row = await sendMessage(
        alice,
        JSON.stringify({ senderId: ALICE, receiverId: BOB, messageType: 1, message: 'photo.jpg' }),
      );
      expectNewMessageRow(
        row,
        { senderId: ALICE, receiverId: BOB, message: 'photo.jpg', messageType: 1, ...ALICE_TO_BOB },
        windowAround(start),
      );
      expect(await onBob).toEqual(row);
    });

    it('accepts the payload as a JSON string with string ids (the legacy example)', async () => {
      const alice = await connectAs(server.url, ALICE);
      const start = Date.now();
      const row = await sendMessage(alice, JSON.stringify(text(ALICE, BOB, 'hello', '0')));
      expectNewMessageRow(
        row,
        { senderId: ALICE, receiverId: BOB, message: 'hello', messageType: 0, ...ALICE_TO_BOB },
        windowAround(start),
      );
    });

    it.each([
      ['0', 0],
      ['1', 1],
      ['2', 2],
      [0, 0],
      [1, 1],
      [2, 2],
    ])('stores messageType %p and returns it as the number %p', async (given, wire) => {
      const alice = await connectAs(server.url, ALICE);
      const row = await sendMessage(alice, text(ALICE, BOB, `type ${given}`, given));
      expect(row.messageType).toBe(wire);
      const history = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(history.map((r) => r.messageType)).toEqual([wire]);
      expect((await storedMessages()).map((m) => m.message_type)).toEqual([wire]);
    });

    it.each([3, '3', -1, 'video', ''])(
      'refuses messageType %p with exception and stores nothing',
      async (messageType) => {
        const alice = await connectAs(server.url, ALICE);
        const bob = await connectAs(server.url, BOB);
        const bobSeen = collect(bob, 'new_message');
        await expectException(alice, 'send_message', text(ALICE, BOB, 'x', messageType));
        await sleep(300);
        expect(bobSeen).toEqual([]);
        expect(await count(server, 'messages')).toBe(0);
      },
    );

    it('refuses an empty message with exception and stores nothing', async () => {
      const alice = await connectAs(server.url, ALICE);
      await expectException(alice, 'send_message', text(ALICE, BOB, ''));
      expect(await count(server, 'messages')).toBe(0);
      expect(await count(server, 'chat_constants')).toBe(0);
    });

    it('keeps the message text exactly (unicode, quotes, newlines)', async () => {
      const alice = await connectAs(server.url, ALICE);
      const message = 'héllo 👋 "quoted" \\ back\nnew line — 中文';
      const row = await sendMessage(alice, JSON.stringify(text(ALICE, BOB, message)));
      expect(row.message).toBe(message);
      const history = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(history.map((r) => r.message)).toEqual([message]);
    });

    it.each(VARIANTS)(
      'reads back texts and profiles with every JSON escape intact over $name',
      async ({ version, transport }) => {
        const name = 'Zoë "Z" \\ O\'Neil\t👩‍💻';
        const image = 'https://cdn.example/a b/%22é".png?x=1&y=<2>';
        await server.createUser(CAROL, name, image);
        const message =
          'ctl \u0001\u001f tab\t cr\r lf\n bs\b ff\f ls\u2028 ps\u2029 </script> 😀 \uFFFD';
        const options = { version, transport };
        const carol = await connectAs(server.url, CAROL, options);
        const alice = await connectAs(server.url, ALICE, options);
        const sent = await sendMessage(carol, text(CAROL, ALICE, message));
        expect(sent.message).toBe(message);

        const [row] = await getMessages(alice, { senderId: ALICE, receiverId: CAROL });
        expect(row).toMatchObject({ message, senderName: 'Alice', recieverName: name, image });
        const [mine] = await getMessages(carol, { senderId: CAROL, receiverId: ALICE, limit: 1 });
        expect(mine).toMatchObject({ message, senderName: name, senderImage: image });
        const [listed] = await chatListing(alice, ALICE);
        expect(listed).toMatchObject({ lastMessage: message, userName: name, userImage: image });
      },
    );

    it('uses one conversation for both directions and gives the profiles of the message sender and receiver', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const start = Date.now();
      const first = await sendMessage(alice, text(ALICE, BOB, 'hi Bob'));
      const onAlice = waitFor(alice, 'new_message');
      const reply = await sendMessage(bob, {
        senderId: BOB,
        receiverId: ALICE,
        messageType: 0,
        message: 'hi Alice',
      });
      const when = windowAround(start);

      expectNewMessageRow(
        reply,
        {
          senderId: BOB,
          receiverId: ALICE,
          message: 'hi Alice',
          messageType: 0,
          senderName: 'Bob',
          senderImage: '',
          recieverName: 'Alice',
          recieverImage: 'alice.png',
        },
        when,
      );
      expect(await onAlice).toEqual(reply);
      expect(reply.chatConstantId).toBe(first.chatConstantId);
      expect(reply.id).toBeGreaterThan(first.id);

      const chats = await server.query(
        'SELECT id::int AS id, last_message_id::int AS last FROM chat_constants',
      );
      expect(chats).toEqual([{ id: first.chatConstantId, last: reply.id }]);
    });

    it('does not share a conversation between different pairs', async () => {
      const alice = await connectAs(server.url, ALICE);
      const toBob = await sendMessage(alice, text(ALICE, BOB, 'to Bob'));
      const toCarol = await sendMessage(alice, text(ALICE, CAROL, 'to Carol'));
      expect(toCarol.chatConstantId).not.toBe(toBob.chatConstantId);
      expect(toCarol).toMatchObject({ recieverName: 'Carol', recieverImage: 'carol.jpg' });
    });

    it('shows profile changes made through the admin API in the next rows', async () => {
      const alice = await connectAs(server.url, ALICE);
      await sendMessage(alice, text(ALICE, BOB, 'before'));
      await server.createUser(ALICE, 'Alicia', 'alicia.png');
      await server.createUser(BOB, 'Robert', 'robert.png');
      const row = await sendMessage(alice, text(ALICE, BOB, 'after'));
      expect(row).toMatchObject({
        senderName: 'Alicia',
        senderImage: 'alicia.png',
        recieverName: 'Robert',
        recieverImage: 'robert.png',
      });
    });
  });

  describe('send_message between blocked users', () => {
    let alicePhone: TestSocket;
    let aliceTablet: TestSocket;
    let bobPhone: TestSocket;
    let bobTablet: TestSocket;
    let carol: TestSocket;

    beforeEach(async () => {
      alicePhone = await connectAs(server.url, ALICE);
      aliceTablet = await connectAs(server.url, ALICE, { version: 'v2', transport: 'polling' });
      bobPhone = await connectAs(server.url, BOB);
      bobTablet = await connectAs(server.url, BOB, { version: 'v2', transport: 'websocket' });
      carol = await connectAs(server.url, CAROL);
    });

    /** Sends from `from` and checks the blocked answer reaches only the calling socket and nothing is stored. */
    async function expectBlockedSend(
      from: TestSocket,
      senderId: number,
      receiverId: number,
      successMessage: string,
    ) {
      const sockets = [alicePhone, aliceTablet, bobPhone, bobTablet, carol];
      const seen = sockets.map((s) => collect(s, 'new_message'));
      const answer = await sendMessage(from, text(senderId, receiverId, 'blocked?'));
      expect(answer).toMatchObject({ success_message: successMessage });
      await sleep(300);
      expect(seen.map((s) => s.length)).toEqual(sockets.map((s) => (s === from ? 1 : 0)));
      expect(await count(server, 'messages')).toBe(0);
      expect(await count(server, 'chat_constants')).toBe(0);
      expect(await getMessages(from, { senderId, receiverId })).toEqual([]);
    }

    it('answers "You Have Blocked This User" to the calling socket only when the sender blocked the receiver', async () => {
      await block(alicePhone, ALICE, BOB, 1);
      await expectBlockedSend(alicePhone, ALICE, BOB, 'You Have Blocked This User');
    });

    it('answers "You Are Blocked By This User" to the calling socket only when the receiver blocked the sender', async () => {
      await block(alicePhone, ALICE, BOB, 1);
      await expectBlockedSend(bobTablet, BOB, ALICE, 'You Are Blocked By This User');
    });

    it('answers "You Have Blocked This User" when both blocked each other', async () => {
      await block(alicePhone, ALICE, BOB, 1);
      await block(bobPhone, BOB, ALICE, 1);
      await expectBlockedSend(bobPhone, BOB, ALICE, 'You Have Blocked This User');
      await expectBlockedSend(aliceTablet, ALICE, BOB, 'You Have Blocked This User');
    });

    it('gives the blocked answer through the acknowledgement too', async () => {
      await block(bobPhone, BOB, ALICE, 1);
      const event = waitFor(alicePhone, 'new_message');
      const acked = await emitWithAck(alicePhone, 'send_message', text(ALICE, BOB, 'blocked?'));
      expect(acked).toMatchObject({ success_message: 'You Are Blocked By This User' });
      expect(await event).toEqual(acked);
      expect(await count(server, 'messages')).toBe(0);
    });

    it('keeps blocking after an earlier conversation: stores nothing new and delivers nothing', async () => {
      const copies = [bobPhone, bobTablet].map((s) => waitFor(s, 'new_message'));
      const before = await sendMessage(alicePhone, text(ALICE, BOB, 'before the block'));
      await Promise.all(copies);
      await block(bobPhone, BOB, ALICE, 1);
      const bobSeen = collect(bobPhone, 'new_message');
      const answer = await sendMessage(alicePhone, text(ALICE, BOB, 'after the block'));
      expect(answer).toMatchObject({ success_message: 'You Are Blocked By This User' });
      await expectNoEvent(bobTablet, 'new_message', 300);
      expect(bobSeen).toEqual([]);
      expect((await storedMessages()).map((m) => m.id)).toEqual([before.id]);
      const chats = await server.query('SELECT last_message_id::int AS last FROM chat_constants');
      expect(chats).toEqual([{ last: before.id }]);
    });

    it('lets messages through again after unblocking', async () => {
      await block(alicePhone, ALICE, BOB, 1);
      await block(alicePhone, ALICE, BOB, 0);
      const onBob = waitFor(bobTablet, 'new_message');
      const start = Date.now();
      const row = await sendMessage(alicePhone, text(ALICE, BOB, 'unblocked'));
      expectNewMessageRow(
        row,
        { senderId: ALICE, receiverId: BOB, message: 'unblocked', messageType: 0, ...ALICE_TO_BOB },
        windowAround(start),
      );
      expect(await onBob).toEqual(row);
    });

    it('a third user can still message both', async () => {
      await block(alicePhone, ALICE, BOB, 1);
      const row = await sendMessage(carol, text(CAROL, BOB, 'from Carol'));
      expect(row).toMatchObject({ senderId: CAROL, receiverId: BOB, message: 'from Carol' });
    });

    it('validates first: an invalid message to a blocked user is answered with exception, not the block answer', async () => {
      await block(alicePhone, ALICE, BOB, 1);
      await expectException(alicePhone, 'send_message', text(ALICE, BOB, ''));
      await expectException(alicePhone, 'send_message', text(ALICE, BOB, 'x', 7));
      expect(await count(server, 'messages')).toBe(0);
    });
  });

  describe('get_message', () => {
    it('answers [] when the pair has no messages', async () => {
      const alice = await connectAs(server.url, ALICE);
      const rows = await getMessages(alice, { senderId: String(ALICE), receiverId: String(BOB) });
      expect(rows).toEqual([]);
    });

    it.each(VARIANTS)(
      'answers the history rows with exact fields and types over $name',
      async (variant) => {
        const options = { version: variant.version, transport: variant.transport };
        const alice = await connectAs(server.url, ALICE, options);
        const bob = await connectAs(server.url, BOB, options);
        const start = Date.now();
        const m1 = await sendMessage(alice, text(ALICE, BOB, 'one'));
        const m2 = await sendMessage(bob, text(BOB, ALICE, 'two', 1));
        const m3 = await sendMessage(alice, text(ALICE, BOB, 'three', 2));
        const when = windowAround(start);

        const rows = await getMessages(alice, { senderId: String(ALICE), receiverId: String(BOB) });
        expect(rows.map((r) => r.id)).toEqual([m1.id, m2.id, m3.id]);
        const sent = [m1, m2, m3];
        rows.forEach((row, i) => {
          const original = sent[i];
          expect(row).toMatchObject({
            id: original.id,
            senderId: original.senderId,
            receiverId: original.receiverId,
            chatConstantId: m1.chatConstantId,
            groupId: 0,
            message: original.message,
            // Alice asked: the one addressed to her (m2) is read now, hers to Bob are not
            readStatus: original.receiverId === ALICE ? 1 : 0,
            messageType: original.messageType,
            deletedId: 0,
            created: original.created,
            updated: expect.any(Number),
            // the two parties of the request: Alice asked about Bob
            senderName: 'Alice',
            senderImage: 'alice.png',
            recieverName: 'Bob',
            image: '',
          });
          expectIntegerFields(row, NEW_MESSAGE_NUMBERS);
          expectStringFields(row, HISTORY_STRINGS);
          expect(row.created).toBeGreaterThanOrEqual(when.from);
          expect(row.created).toBeLessThanOrEqual(when.to);
          expect(row.updated).toBeGreaterThanOrEqual(when.from);
          expect(row.updated).toBeLessThanOrEqual(when.to + 1);
        });

        // Bob asks: the profile fields describe Bob (requester) and Alice (other party) on every row
        const bobRows = await getMessages(bob, { senderId: BOB, receiverId: ALICE });
        expect(bobRows.map((r) => r.id)).toEqual([m1.id, m2.id, m3.id]);
        for (const row of bobRows) {
          expect(row).toMatchObject({
            senderName: 'Bob',
            senderImage: '',
            recieverName: 'Alice',
            image: 'alice.png',
            readStatus: 1,
          });
        }
      },
    );

    it('returns rows in ascending id order', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        const row =
          i % 2 === 0
            ? await sendMessage(alice, text(ALICE, BOB, `a${i}`))
            : await sendMessage(bob, text(BOB, ALICE, `b${i}`));
        ids.push(row.id);
      }
      const rows = await getMessages(bob, { senderId: BOB, receiverId: ALICE });
      expect(rows.map((r) => r.id)).toEqual([...ids].sort((a, b) => a - b));
      expect(rows.map((r) => r.message)).toEqual(['a0', 'b1', 'a2', 'b3', 'a4', 'b5']);
    });

    it('only returns the messages of the requested pair', async () => {
      const alice = await connectAs(server.url, ALICE);
      const carol = await connectAs(server.url, CAROL);
      const toBob = await sendMessage(alice, text(ALICE, BOB, 'for Bob'));
      await sendMessage(carol, text(CAROL, ALICE, 'for Alice from Carol'));
      await sendMessage(carol, text(CAROL, BOB, 'for Bob from Carol'));
      const rows = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(rows.map((r) => r.id)).toEqual([toBob.id]);
    });

    it('accepts the request as a JSON string with numeric ids, and acknowledges with the same rows', async () => {
      const alice = await connectAs(server.url, ALICE);
      const m = await sendMessage(alice, text(ALICE, BOB, 'hi'));
      const event = waitFor(alice, 'get_data_message');
      const acked = await emitWithAck<any[]>(
        alice,
        'get_message',
        JSON.stringify({ senderId: ALICE, receiverId: BOB }),
      );
      expect(acked.map((r) => r.id)).toEqual([m.id]);
      expect(await event).toEqual(acked);
    });

    it('marks the messages addressed to the requester as read before answering, and only those', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const fromBob1 = await sendMessage(bob, text(BOB, ALICE, 'b1'));
      const fromAlice = await sendMessage(alice, text(ALICE, BOB, 'a1'));
      const fromBob2 = await sendMessage(bob, text(BOB, ALICE, 'b2'));

      const rows = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(rows.map((r) => [r.id, r.readStatus])).toEqual([
        [fromBob1.id, 1],
        [fromAlice.id, 0],
        [fromBob2.id, 1],
      ]);
      expect((await storedMessages()).map((m) => [m.id, m.read_status])).toEqual([
        [fromBob1.id, 1],
        [fromAlice.id, 0],
        [fromBob2.id, 1],
      ]);
      const listing = await chatListing(alice, ALICE);
      expect(listing).toHaveLength(1);
      expect(listing[0]).toMatchObject({ user_id: BOB, unreadcount: 0 });
      const bobListing = await chatListing(bob, BOB);
      expect(bobListing[0]).toMatchObject({ user_id: ALICE, unreadcount: 1 });
    });

    it('tells every socket of both users with read_status when it marked something read, and not a third user', async () => {
      const alicePhone = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE, {
        version: 'v2',
        transport: 'polling',
      });
      const bobPhone = await connectAs(server.url, BOB);
      const bobTablet = await connectAs(server.url, BOB, { version: 'v2', transport: 'websocket' });
      const carol = await connectAs(server.url, CAROL);
      await sendMessage(bobPhone, text(BOB, ALICE, 'unread'));

      const both = [alicePhone, aliceTablet, bobPhone, bobTablet];
      const seen = [...both, carol].map((s) => collect(s, 'read_status'));
      const notices = both.map((s) => waitFor(s, 'read_status'));
      const rows = await getMessages(alicePhone, { senderId: ALICE, receiverId: BOB });
      expect(rows.map((r) => r.readStatus)).toEqual([1]);
      for (const notice of await Promise.all(notices)) {
        expect(notice).toMatchObject({ userId: ALICE, user2Id: BOB, readStatus: 1 });
      }
      await sleep(300);
      expect(seen.map((s) => s.length)).toEqual([1, 1, 1, 1, 0]);
    });

    it('sends no read_status when nothing changed (asked again, or only own messages)', async () => {
      const alice = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await sendMessage(bob, text(BOB, ALICE, 'for Alice'));
      await sendMessage(alice, text(ALICE, BOB, 'for Bob'));

      // Bob asks first: Alice's message to him changes, so read_status goes out once
      const first = [alice, aliceTablet, bob].map((s) => waitFor(s, 'read_status'));
      await getMessages(bob, { senderId: BOB, receiverId: ALICE });
      for (const notice of await Promise.all(first))
        expect(notice).toMatchObject({ userId: BOB, user2Id: ALICE, readStatus: 1 });
      const seen = [alice, aliceTablet, bob].map((s) => collect(s, 'read_status'));
      // asked again: nothing left unread for Bob
      const again = await getMessages(bob, { senderId: BOB, receiverId: ALICE });
      expect(again).toHaveLength(2);
      await sleep(300);
      expect(seen.map((s) => s.length)).toEqual([0, 0, 0]);

      // Alice asks: Bob's message to her changes now
      const notice = waitFor(bob, 'read_status');
      await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(await notice).toMatchObject({ userId: ALICE, user2Id: BOB, readStatus: 1 });
    });

    it('sends no read_status when the requester has only sent messages', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await sendMessage(alice, text(ALICE, BOB, 'one'));
      await sendMessage(alice, text(ALICE, BOB, 'two'));
      const seen = [alice, bob].map((s) => collect(s, 'read_status'));
      const rows = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(rows.map((r) => r.readStatus)).toEqual([0, 0]);
      await sleep(300);
      expect(seen.map((s) => s.length)).toEqual([0, 0]);
    });

    describe('pagination', () => {
      let alice: TestSocket;
      let ids: number[];

      beforeEach(async () => {
        alice = await connectAs(server.url, ALICE);
        const bob = await connectAs(server.url, BOB);
        ids = [];
        for (let i = 1; i <= 5; i++) {
          const row =
            i === 3
              ? await sendMessage(bob, text(BOB, ALICE, `m${i}`))
              : await sendMessage(alice, text(ALICE, BOB, `m${i}`));
          ids.push(row.id);
        }
        // a message of another pair in between must never show up
        await sendMessage(alice, text(ALICE, CAROL, 'other pair'));
      });

      const page = async (extra: Record<string, unknown>) =>
        (await getMessages(alice, { senderId: ALICE, receiverId: BOB, ...extra })).map((r) => r.id);

      it('limit alone answers the newest `limit` messages in ascending order', async () => {
        expect(await page({ limit: 2 })).toEqual([ids[3], ids[4]]);
        expect(await page({ limit: 1 })).toEqual([ids[4]]);
        expect(await page({ limit: 500 })).toEqual(ids);
      });

      it('limit with beforeId answers the newest `limit` messages below beforeId, ascending', async () => {
        expect(await page({ limit: 2, beforeId: ids[3] })).toEqual([ids[1], ids[2]]);
        expect(await page({ limit: 2, beforeId: ids[1] })).toEqual([ids[0]]);
        expect(await page({ limit: 2, beforeId: ids[0] })).toEqual([]);
        expect(await page({ limit: 3, beforeId: String(ids[4]) })).toEqual([
          ids[1],
          ids[2],
          ids[3],
        ]);
        expect(await page({ limit: 10, beforeId: ids[4] + 1000 })).toEqual(ids);
      });

      it('without limit and beforeId answers the whole history', async () => {
        expect(await page({})).toEqual(ids);
      });

      it('page rows carry the same fields as full history rows', async () => {
        const full = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
        const paged = await getMessages(alice, {
          senderId: ALICE,
          receiverId: BOB,
          limit: 2,
          beforeId: ids[2],
        });
        expect(paged).toEqual(full.slice(0, 2).map((r) => ({ ...r, updated: expect.any(Number) })));
      });

      it.each([0, 501, 'abc', 1.5, -1])(
        'refuses limit %p with exception and marks nothing read',
        async (limit) => {
          await expectException(alice, 'get_message', { senderId: ALICE, receiverId: BOB, limit });
          // ids[2] was sent by Bob to Alice and must still be unread
          const stored = await storedMessages();
          expect(stored.find((m) => m.id === ids[2])?.read_status).toBe(0);
        },
      );

      it.each([0, 'abc', -5, 1.5])('refuses beforeId %p with exception', async (beforeId) => {
        await expectException(alice, 'get_message', {
          senderId: ALICE,
          receiverId: BOB,
          limit: 2,
          beforeId,
        });
      });
    });
  });

  describe('read_unread', () => {
    it('sends read_status to every socket of both users and read_data_status to the calling socket only', async () => {
      const alicePhone = await connectAs(server.url, ALICE);
      const aliceTablet = await connectAs(server.url, ALICE, {
        version: 'v2',
        transport: 'polling',
      });
      const bobPhone = await connectAs(server.url, BOB, { version: 'v4', transport: 'polling' });
      const bobTablet = await connectAs(server.url, BOB, { version: 'v2', transport: 'websocket' });
      const carol = await connectAs(server.url, CAROL);
      await sendMessage(bobPhone, text(BOB, ALICE, 'unread 1'));
      await sendMessage(bobPhone, text(BOB, ALICE, 'unread 2'));

      const all = [alicePhone, aliceTablet, bobPhone, bobTablet, carol];
      const statusSeen = all.map((s) => collect(s, 'read_status'));
      const dataSeen = all.map((s) => collect(s, 'read_data_status'));
      const notices = [alicePhone, aliceTablet, bobPhone, bobTablet].map((s) =>
        waitFor(s, 'read_status'),
      );
      const data = waitFor(alicePhone, 'read_data_status');

      alicePhone.emit('read_unread', { userId: String(ALICE), user2Id: String(BOB) });

      for (const notice of await Promise.all(notices)) {
        expect(notice).toMatchObject({ userId: ALICE, user2Id: BOB, readStatus: 1 });
        expectIntegerFields(notice, ['userId', 'user2Id', 'readStatus']);
      }
      const own = await data;
      expect(own).toMatchObject({ read_status: 1 });
      expect(typeof own.read_status).toBe('number');

      await sleep(300);
      expect(statusSeen.map((s) => s.length)).toEqual([1, 1, 1, 1, 0]);
      expect(dataSeen.map((s) => s.length)).toEqual([1, 0, 0, 0, 0]);
    });

    it('acknowledges with the read_status payload', async () => {
      const alice = await connectAs(server.url, ALICE, { version: 'v2', transport: 'websocket' });
      const bob = await connectAs(server.url, BOB);
      await sendMessage(bob, text(BOB, ALICE, 'unread'));
      const onBob = waitFor(bob, 'read_status');
      const acked = await emitWithAck(alice, 'read_unread', { userId: ALICE, user2Id: BOB });
      expect(acked).toMatchObject({ userId: ALICE, user2Id: BOB, readStatus: 1 });
      expectIntegerFields(acked, ['userId', 'user2Id', 'readStatus']);
      expect(await onBob).toEqual(acked);
    });

    it("marks the other user's messages to the caller as read, and not the caller's own", async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const b1 = await sendMessage(bob, text(BOB, ALICE, 'b1'));
      const a1 = await sendMessage(alice, text(ALICE, BOB, 'a1'));
      const b2 = await sendMessage(bob, text(BOB, ALICE, 'b2'));
      const c1 = await sendMessage(await connectAs(server.url, CAROL), text(CAROL, ALICE, 'c1'));

      const before = await chatListing(alice, ALICE);
      expect(before.find((c) => c.user_id === BOB)).toMatchObject({ unreadcount: 2 });
      expect(before.find((c) => c.user_id === CAROL)).toMatchObject({ unreadcount: 1 });

      const done = waitFor(alice, 'read_data_status');
      alice.emit('read_unread', JSON.stringify({ userId: ALICE, user2Id: BOB }));
      expect(await done).toMatchObject({ read_status: 1 });

      const after = await chatListing(alice, ALICE);
      expect(after.find((c) => c.user_id === BOB)).toMatchObject({ unreadcount: 0 });
      expect(after.find((c) => c.user_id === CAROL)).toMatchObject({ unreadcount: 1 });
      expect((await storedMessages()).map((m) => [m.id, m.read_status])).toEqual([
        [b1.id, 1],
        [a1.id, 0],
        [b2.id, 1],
        [c1.id, 0],
      ]);
      // Bob's history shows his messages read by Alice
      const bobRows = await getMessages(bob, { senderId: BOB, receiverId: ALICE });
      expect(bobRows.filter((r) => r.senderId === BOB).map((r) => r.readStatus)).toEqual([1, 1]);
    });

    it('answers both events even when nothing was unread', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const onBob = waitFor(bob, 'read_status');
      const onAlice = waitFor(alice, 'read_status');
      const data = waitFor(alice, 'read_data_status');
      alice.emit('read_unread', { userId: ALICE, user2Id: BOB });
      expect(await onAlice).toMatchObject({ userId: ALICE, user2Id: BOB, readStatus: 1 });
      expect(await onBob).toMatchObject({ userId: ALICE, user2Id: BOB, readStatus: 1 });
      expect(await data).toMatchObject({ read_status: 1 });
    });

    it('after read_unread, get_message answers readStatus 1 and sends no read_status', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await sendMessage(bob, text(BOB, ALICE, 'b1'));
      const done = [
        waitFor(alice, 'read_status'),
        waitFor(bob, 'read_status'),
        waitFor(alice, 'read_data_status'),
      ];
      alice.emit('read_unread', { userId: ALICE, user2Id: BOB });
      await Promise.all(done);
      const seen = [alice, bob].map((s) => collect(s, 'read_status'));
      const rows = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
      expect(rows.map((r) => r.readStatus)).toEqual([1]);
      await sleep(300);
      expect(seen.map((s) => s.length)).toEqual([0, 0]);
    });
  });
});

describe('MESSAGE_MAX_LENGTH', () => {
  // Two servers in one process: each keeps its own limit (no setting in module state).
  const short = useTestServer({ env: { MESSAGE_MAX_LENGTH: '5' }, users: [[ALICE], [BOB]] });
  const long = useTestServer({ users: [[ALICE], [BOB]] });

  it.each([
    ['a plain object', (message: string) => ({ ...payloadFor(message) })],
    ['ids as strings', (message: string) => ({ ...payloadFor(message), senderId: '1' })],
    ['a JSON string', (message: string) => JSON.stringify(payloadFor(message))],
  ])('each server applies its own limit to %s', async (_name, payload) => {
    const onShort = await connectAs(short.url, ALICE);
    const onLong = await connectAs(long.url, ALICE);
    expect(await sendMessage(onShort, payload('12345'))).toMatchObject({ message: '12345' });
    expect(await sendMessage(onShort, payload('😀😀😀😀😀'))).toMatchObject({
      message: '😀😀😀😀😀',
    });
    const refused = await expectException(onShort, 'send_message', payload('123456'));
    expect(refused.message).toBe('message must be at most 5 characters long');
    expect(await sendMessage(onLong, payload('123456'))).toMatchObject({ message: '123456' });
    const tooLong = await expectException(onLong, 'send_message', payload('x'.repeat(10_001)));
    expect(tooLong.message).toBe('message must be at most 10000 characters long');
  });

  function payloadFor(message: string) {
    return { senderId: ALICE, receiverId: BOB, messageType: 0, message };
  }
});
