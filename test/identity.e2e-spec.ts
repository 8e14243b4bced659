// End-to-end tests for connect_user, the acting-user rules, id formats and the
// exception payload, written from /work/shared/PROTOCOL.md and
// /work/shared/protocol/legacy-api.txt (the contract), not from the implementation.
import {
  ANSWER_EVENTS,
  VARIANTS,
  expectErrorShape,
  expectException,
  request,
  snapshot,
} from './support/protocol.js';
import {
  collect,
  connect,
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
const UNKNOWN = 99;

/** A valid request of each event for acting user `me` and other party `other`. */
function validPayload(event: string, me: unknown, other: unknown): Record<string, unknown> {
  switch (event) {
    case 'send_message':
      return { senderId: me, receiverId: other, messageType: '0', message: 'hello' };
    case 'get_message':
    case 'delete_chat':
      return { senderId: me, receiverId: other };
    case 'chat_listing':
      return { userId: me };
    case 'block_user':
      return { userId: me, user2Id: other, status: '1' };
    case 'report_user':
      return { userId: me, user2Id: other, comment: 'spam' };
    case 'read_unread':
      return { userId: me, user2Id: other };
    case 'register_device':
      return { userId: me, token: 'identity-token', platform: 'android' };
    default:
      throw new Error(`no payload for ${event}`);
  }
}

/** Events that name an acting user and another user. */
const PAIR_EVENTS = [
  'send_message',
  'get_message',
  'delete_chat',
  'block_user',
  'report_user',
  'read_unread',
];
/** Every event that needs a bound socket. */
const BOUND_EVENTS = [
  ...PAIR_EVENTS.slice(0, 3),
  'chat_listing',
  ...PAIR_EVENTS.slice(3),
  'register_device',
];

/** Records every answer event (and exception) a socket gets from now on. */
function watch(
  socket: TestSocket,
  events = [...ANSWER_EVENTS, 'exception'],
): () => Record<string, unknown[]> {
  const seen: Record<string, unknown[]> = {};
  for (const event of events) seen[event] = collect(socket, event);
  return () =>
    Object.fromEntries(Object.entries(seen).filter(([, payloads]) => payloads.length > 0));
}

describe('identity', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice', 'alice.png'],
      [BOB, 'Bob', 'bob.png'],
      [CAROL, 'Carol'],
    ],
  });

  /** Bob has sent Alice one message she has not read: every event would change something. */
  async function seedConversation(): Promise<TestSocket> {
    const bob = await connectAs(server.url, BOB);
    await request(bob, 'send_message', validPayload('send_message', BOB, ALICE));
    return bob;
  }

  describe('connect_user', () => {
    it.each(VARIANTS)(
      'answers connect_listener with the user id as a number over $name',
      async ({ version, transport }) => {
        const byString = await connect(server.url, { version, transport });
        const answer = await request(byString, 'connect_user', { userId: String(ALICE) });
        expect(answer).toMatchObject({ success_message: 'connected successfully', userId: ALICE });
        expect(typeof answer.userId).toBe('number');

        const byNumber = await connect(server.url, { version, transport });
        expect(await request(byNumber, 'connect_user', { userId: BOB })).toMatchObject({
          success_message: 'connected successfully',
          userId: BOB,
        });

        const byJsonString = await connect(server.url, { version, transport });
        expect(
          await request(byJsonString, 'connect_user', JSON.stringify({ userId: String(CAROL) })),
        ).toMatchObject({
          success_message: 'connected successfully',
          userId: CAROL,
        });
      },
    );

    it('calls the acknowledgement with the connect_listener payload', async () => {
      const socket = await connect(server.url);
      const event = waitFor(socket, 'connect_listener');
      const acked = await emitWithAck(socket, 'connect_user', { userId: String(ALICE) });
      expect(acked).toMatchObject({ success_message: 'connected successfully', userId: ALICE });
      expect(await event).toEqual(acked);
    });

    it('binds the socket: messages to the user reach it', async () => {
      const alice = await connectAs(server.url, ALICE, { version: 'v2', transport: 'polling' });
      const bob = await connectAs(server.url, BOB);
      const onAlice = waitFor(alice, 'new_message');
      await request(bob, 'send_message', validPayload('send_message', BOB, ALICE));
      expect(await onAlice).toMatchObject({ senderId: BOB, receiverId: ALICE, message: 'hello' });
    });

    it('refuses an unknown user with exception, and the socket stays unbound', async () => {
      const socket = await connect(server.url);
      await expectException(socket, 'connect_user', { userId: String(UNKNOWN) });
      await expectException(socket, 'chat_listing', { userId: String(UNKNOWN) });
      await expectException(socket, 'chat_listing', { userId: String(ALICE) });
      expect(await server.query('SELECT id FROM users WHERE id = $1', [UNKNOWN])).toEqual([]);
    });

    it.each([undefined, {}, { userId: '' }, { userId: null }, 'not json', 42])(
      'refuses a malformed request %p with exception',
      async (payload) => {
        const socket = await connect(server.url);
        await expectException(socket, 'connect_user', payload);
      },
    );

    it('binding the same user again is harmless (reconnect pattern)', async () => {
      const alice = await connectAs(server.url, ALICE);
      const again = await request(alice, 'connect_user', { userId: ALICE });
      expect(again).toMatchObject({ success_message: 'connected successfully', userId: ALICE });
      expect(
        await request(alice, 'connect_user', JSON.stringify({ userId: String(ALICE) })),
      ).toMatchObject({ userId: ALICE });

      // still acts as Alice, and gets each message addressed to her exactly once
      const bob = await connectAs(server.url, BOB);
      const seen = collect(alice, 'new_message');
      const onAlice = waitFor(alice, 'new_message');
      await request(bob, 'send_message', validPayload('send_message', BOB, ALICE));
      await onAlice;
      await sleep(300);
      expect(seen).toHaveLength(1);
      expect(await request(alice, 'chat_listing', { userId: ALICE })).toHaveLength(1);
    });

    it('refuses binding a different user on the same socket; the socket keeps acting as the first user', async () => {
      const socket = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const carol = await connectAs(server.url, CAROL);
      const before = await snapshot(server);

      const error = await expectException(socket, 'connect_user', { userId: String(BOB) });
      expectErrorShape(error, 'connect_user');
      expect(await snapshot(server)).toEqual(before);

      // acting as Bob is refused, acting as Alice still works
      await expectException(socket, 'chat_listing', { userId: BOB });
      await expectException(socket, 'send_message', validPayload('send_message', BOB, CAROL));
      expect(await request(socket, 'chat_listing', { userId: ALICE })).toEqual([]);

      // messages to Bob do not reach this socket, messages to Alice do
      const seen = collect(socket, 'new_message');
      const onBob = waitFor(bob, 'new_message');
      await request(carol, 'send_message', validPayload('send_message', CAROL, BOB));
      await onBob;
      const onSocket = waitFor(socket, 'new_message');
      await request(carol, 'send_message', {
        ...validPayload('send_message', CAROL, ALICE),
        message: 'for Alice',
      });
      expect(await onSocket).toMatchObject({ receiverId: ALICE, message: 'for Alice' });
      await sleep(300);
      expect(seen).toHaveLength(1);
    });
  });

  describe('before connect_user', () => {
    it.each(BOUND_EVENTS)('%s is refused with exception and changes nothing', async (event) => {
      const bob = await seedConversation();
      const socket = await connect(server.url);
      const before = await snapshot(server);
      const bobSaw = watch(bob);
      const socketSaw = watch(socket, ANSWER_EVENTS);

      await expectException(socket, event, validPayload(event, String(ALICE), String(BOB)));
      await sleep(300);
      expect(socketSaw()).toEqual({});
      expect(bobSaw()).toEqual({});
      expect(await snapshot(server)).toEqual(before);
    });

    it('is refused over the v2 client too, and through the acknowledgement', async () => {
      const socket = await connect(server.url, { version: 'v2', transport: 'polling' });
      const event = waitFor(socket, 'exception');
      const acked = await emitWithAck(
        socket,
        'send_message',
        validPayload('send_message', ALICE, BOB),
      );
      expectErrorShape(acked, 'send_message');
      expect(await event).toEqual(acked);
      expect(await server.query('SELECT id FROM messages')).toEqual([]);
    });
  });

  describe('acting user', () => {
    // Positive control: the very payloads refused below are accepted from the right user.
    it.each(BOUND_EVENTS)('%s naming the bound user is accepted', async (event) => {
      await seedConversation();
      const alice = await connectAs(server.url, ALICE);
      await request(alice, event, validPayload(event, String(ALICE), String(BOB)));
    });

    it.each(BOUND_EVENTS)(
      '%s naming another user as acting user is refused and changes nothing',
      async (event) => {
        const bob = await seedConversation();
        const alice = await connectAs(server.url, ALICE);
        const before = await snapshot(server);
        const bobSaw = watch(bob);

        // Alice's socket acting as Bob towards Alice
        await expectException(alice, event, validPayload(event, String(BOB), String(ALICE)));
        await sleep(300);
        expect(bobSaw()).toEqual({});
        expect(await snapshot(server)).toEqual(before);
      },
    );

    it.each(PAIR_EVENTS)('%s naming a third user as acting user is refused', async (event) => {
      await seedConversation();
      const alice = await connectAs(server.url, ALICE);
      const before = await snapshot(server);
      await expectException(alice, event, validPayload(event, CAROL, BOB));
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe('which refusal comes first', () => {
    const NOT_BOUND = 'this socket is not connected as a user yet: emit connect_user first';

    /** The request with its other party (or, for chat_listing, its only id) broken. */
    function invalidPayload(event: string, me: unknown): Record<string, unknown> {
      if (event === 'register_device') return { ...validPayload(event, me, BOB), userId: '12abc' };
      return event === 'chat_listing'
        ? { userId: '12abc' }
        : {
            ...validPayload(event, me, BOB),
            [event === 'send_message' || event === 'get_message' || event === 'delete_chat'
              ? 'receiverId'
              : 'user2Id']: '12abc',
          };
    }

    // Validation first (contract, "Bad input"): whoever may act, an invalid
    // payload gets its validation error, the same as from the right user.
    it.each(BOUND_EVENTS)(
      '%s: an invalid payload gets its validation error from an unbound socket and from another user',
      async (event) => {
        const alice = await connectAs(server.url, ALICE);
        const validation = (await expectException(alice, event, invalidPayload(event, ALICE)))
          .message;
        expect(validation).toMatch(/must be an id/);

        const unbound = await connect(server.url);
        expect((await expectException(unbound, event, invalidPayload(event, ALICE))).message).toBe(
          validation,
        );
        expect(
          (await expectException(unbound, event, JSON.stringify(invalidPayload(event, ALICE))))
            .message,
        ).toBe(validation);
        const carol = await connectAs(server.url, CAROL);
        expect((await expectException(carol, event, invalidPayload(event, ALICE))).message).toBe(
          validation,
        );
      },
    );

    it.each(BOUND_EVENTS)(
      '%s: a valid payload gets the identity refusal, naming the field',
      async (event) => {
        const field = ['send_message', 'get_message', 'delete_chat'].includes(event)
          ? 'senderId'
          : 'userId';
        const unbound = await connect(server.url);
        expect(
          (await expectException(unbound, event, validPayload(event, String(ALICE), BOB))).message,
        ).toBe(NOT_BOUND);
        const carol = await connectAs(server.url, CAROL);
        expect(
          (await expectException(carol, event, JSON.stringify(validPayload(event, ALICE, BOB))))
            .message,
        ).toBe(`${field} must be the user this socket is connected as (${CAROL})`);
      },
    );
  });

  describe('unknown users', () => {
    it.each(PAIR_EVENTS)('%s naming a user who does not exist is refused', async (event) => {
      const alice = await connectAs(server.url, ALICE);
      await expectException(alice, event, validPayload(event, ALICE, UNKNOWN));
      expect(await snapshot(server)).toMatchObject({
        chat_constants: [],
        messages: [],
        blocks: [],
        reports: [],
      });
    });
  });

  describe('id formats', () => {
    beforeEach(async () => {
      // users that a lenient parser would hit: "12abc" -> 12, "1e3" -> 1000, 2^32 + 12 -> 12
      await server.createUser(12, 'Twelve');
      await server.createUser(1000, 'Thousand');
    });

    const BAD_IDS: unknown[] = [
      '0',
      0,
      -12,
      '-12',
      '1e3',
      '12abc',
      12.5,
      '12.5',
      '12.0',
      '0x0c',
      2147483648,
      '2147483648',
      4294967308,
      '',
      null,
      true,
      [12],
      { id: 12 },
    ];

    it.each(BAD_IDS)(
      'send_message to receiverId %p is refused and stores nothing',
      async (receiverId) => {
        const alice = await connectAs(server.url, ALICE);
        const twelve = await connectAs(server.url, 12);
        const twelveSaw = watch(twelve, ['new_message']);
        await expectException(alice, 'send_message', {
          senderId: ALICE,
          receiverId,
          messageType: 0,
          message: 'hi',
        });
        expect(await server.query('SELECT id FROM messages')).toEqual([]);
        expect(await server.query('SELECT id FROM chat_constants')).toEqual([]);
        expect(twelveSaw()).toEqual({});
      },
    );

    it('send_message without receiverId is refused', async () => {
      const alice = await connectAs(server.url, ALICE);
      await expectException(alice, 'send_message', {
        senderId: ALICE,
        messageType: 0,
        message: 'hi',
      });
    });

    it.each(['0', -12, '1e3', '12abc', 12.5, '12.5', '12.0', 2147483648, '2147483648', 4294967308])(
      'connect_user with userId %p is refused',
      async (userId) => {
        const socket = await connect(server.url);
        await expectException(socket, 'connect_user', { userId });
        // still unbound
        await expectException(socket, 'chat_listing', { userId: 12 });
      },
    );

    it.each(['1abc', '1.0', '1e0', 1.5, '01x'])(
      'an acting user id %p that only looks like the bound user is refused',
      async (senderId) => {
        const alice = await connectAs(server.url, ALICE);
        await expectException(alice, 'send_message', {
          senderId,
          receiverId: BOB,
          messageType: 0,
          message: 'hi',
        });
        expect(await server.query('SELECT id FROM messages')).toEqual([]);
      },
    );

    it.each(
      PAIR_EVENTS.flatMap((event) => [
        [event, '12abc'],
        [event, '1e3'],
        [event, '0'],
        [event, -12],
        [event, 12.5],
        [event, 2147483648],
      ]),
    )('%s refuses the other user id %p and changes nothing', async (event, other) => {
      await seedConversation();
      const alice = await connectAs(server.url, ALICE);
      const before = await snapshot(server);
      await expectException(alice, event, validPayload(event, ALICE, other));
      expect(await snapshot(server)).toEqual(before);
    });

    it('accepts "183" and 183 alike', async () => {
      await server.createUser(183, 'yash', '2eb32d7d.png');
      await server.createUser(184, 'Satvinder singh', 'c5207e39.png');
      const s183 = await connect(server.url);
      expect(await request(s183, 'connect_user', { userId: '183' })).toMatchObject({ userId: 183 });
      const s184 = await connect(server.url, { version: 'v2', transport: 'websocket' });
      expect(await request(s184, 'connect_user', { userId: 184 })).toMatchObject({ userId: 184 });

      const onReceiver = waitFor(s184, 'new_message');
      const row = await request(s183, 'send_message', {
        senderId: '183',
        receiverId: 184,
        messageType: '0',
        message: 'hello',
      });
      expect(row).toMatchObject({
        senderId: 183,
        receiverId: 184,
        senderName: 'yash',
        recieverName: 'Satvinder singh',
      });
      expect(await onReceiver).toEqual(row);
      const row2 = await request(s184, 'send_message', {
        senderId: 184,
        receiverId: '183',
        messageType: 0,
        message: 'hi',
      });
      expect(row2).toMatchObject({
        senderId: 184,
        receiverId: 183,
        chatConstantId: row.chatConstantId,
      });

      const history = await request<any[]>(s183, 'get_message', {
        senderId: 183,
        receiverId: '184',
      });
      expect(history.map((r) => r.id)).toEqual([row.id, row2.id]);
      const listing = await request<any[]>(s184, 'chat_listing', { userId: '184' });
      expect(listing.map((c) => c.user_id)).toEqual([183]);
    });

    it('accepts the largest id 2147483647', async () => {
      const max = 2147483647;
      await server.createUser(max, 'Max');
      const maxSocket = await connect(server.url);
      expect(await request(maxSocket, 'connect_user', { userId: String(max) })).toMatchObject({
        userId: max,
      });
      const alice = await connectAs(server.url, ALICE);
      const onMax = waitFor(maxSocket, 'new_message');
      const row = await request(alice, 'send_message', {
        senderId: ALICE,
        receiverId: String(max),
        messageType: 0,
        message: 'hi',
      });
      expect(row).toMatchObject({ senderId: ALICE, receiverId: max, recieverName: 'Max' });
      expect(await onMax).toEqual(row);
    });
  });

  describe('same user on both sides', () => {
    it.each(
      PAIR_EVENTS.flatMap((event) => [
        [event, String(ALICE), String(ALICE)],
        [event, ALICE, String(ALICE)],
      ]),
    )('%s naming %p and %p is refused and changes nothing', async (event, me, other) => {
      await seedConversation();
      const alice = await connectAs(server.url, ALICE);
      const before = await snapshot(server);
      await expectException(alice, event, validPayload(event, me, other));
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe('exception payload', () => {
    it("goes to the calling socket only, not to the user's other devices nor the other party", async () => {
      const phone = await connectAs(server.url, ALICE);
      const tablet = await connectAs(server.url, ALICE, { version: 'v2', transport: 'polling' });
      const web = await connectAs(server.url, ALICE, { version: 'v4', transport: 'polling' });
      const bob = await connectAs(server.url, BOB);
      const others = [tablet, web, bob].map((s) => watch(s));

      await expectException(phone, 'send_message', {
        senderId: ALICE,
        receiverId: BOB,
        messageType: 0,
        message: '',
      });
      await sleep(300);
      for (const saw of others) expect(saw()).toEqual({});
    });

    it.each(BOUND_EVENTS)(
      '%s: the acknowledgement gets the same error object as the exception event',
      async (event) => {
        const alice = await connectAs(server.url, ALICE);
        const onEvent = waitFor(alice, 'exception');
        const acked = await emitWithAck(alice, event, validPayload(event, BOB, ALICE));
        expectErrorShape(acked, event);
        expect(await onEvent).toEqual(acked);
      },
    );

    it('connect_user: the acknowledgement gets the error object too', async () => {
      const socket = await connect(server.url, { version: 'v2', transport: 'websocket' });
      const onEvent = waitFor(socket, 'exception');
      const acked = await emitWithAck(socket, 'connect_user', { userId: UNKNOWN });
      expectErrorShape(acked, 'connect_user');
      expect(await onEvent).toEqual(acked);
    });

    it.each(VARIANTS)('has the contract shape over $name', async ({ version, transport }) => {
      const socket = await connectAs(server.url, ALICE, { version, transport });
      await expectException(socket, 'get_message', { senderId: ALICE, receiverId: ALICE });
    });

    it.each(['not json', '[1,2]', '"text"', 42, null, [ALICE, BOB], '{"senderId":1,'])(
      'a send_message payload %p that is not an object or JSON object string is refused',
      async (payload) => {
        const alice = await connectAs(server.url, ALICE);
        await expectException(alice, 'send_message', payload);
        // the socket keeps working
        expect(await request(alice, 'chat_listing', { userId: ALICE })).toEqual([]);
      },
    );
  });
});
