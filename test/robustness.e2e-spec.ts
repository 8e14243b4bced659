// Bad input, limits and client compatibility, written from /work/shared/PROTOCOL.md.
import {
  ANSWER_EVENTS,
  VARIANTS,
  count,
  errorShapeProblem,
  eventually,
  expectErrorShape,
  nowCeil,
  nowFloor,
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
  type Transport,
} from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const UNKNOWN = 999;

/** Every event the contract names, with a valid payload for Alice (1) towards Bob (2). */
const VALID: Record<string, Record<string, unknown>> = {
  connect_user: { userId: ALICE },
  send_message: { senderId: ALICE, receiverId: BOB, messageType: 0, message: 'hi' },
  get_message: { senderId: ALICE, receiverId: BOB },
  chat_listing: { userId: ALICE },
  block_user: { userId: ALICE, user2Id: BOB, status: 1 },
  delete_chat: { senderId: ALICE, receiverId: BOB },
  report_user: { userId: ALICE, user2Id: BOB },
  read_unread: { userId: ALICE, user2Id: BOB },
};
const EVENTS = Object.keys(VALID);
/** Payload fields that hold a user id, per event. */
const ID_FIELDS: Record<string, string[]> = {
  connect_user: ['userId'],
  send_message: ['senderId', 'receiverId'],
  get_message: ['senderId', 'receiverId'],
  chat_listing: ['userId'],
  block_user: ['userId', 'user2Id'],
  delete_chat: ['senderId', 'receiverId'],
  report_user: ['userId', 'user2Id'],
  read_unread: ['userId', 'user2Id'],
};

function nestedObject(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const DEEP_JSON_STRING = '['.repeat(100_000) + ']'.repeat(100_000);
const DEEP_OBJECT_STRING = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);

/** Payloads of every shape that no event may accept. */
const BAD_PAYLOADS: Array<[string, unknown]> = [
  ['null', null],
  ['a number', 42],
  ['zero', 0],
  ['a boolean', true],
  ['an empty array', []],
  ['an array of numbers', [1, 2, 3]],
  ['a plain non-JSON string', 'hello there'],
  ['an empty string', ''],
  ['a JSON string of an array', '[1,2,3]'],
  ['a JSON string of null', 'null'],
  ['a JSON string of a number', '42'],
  ['a JSON string of a string', '"{}"'],
  ['broken JSON', '{"userId":'],
  ['an empty object', {}],
  ['binary data', Buffer.from('{"userId":1}')],
  ['a huge string', 'x'.repeat(1_000_000)],
  ['a deeply nested object', nestedObject(1000)],
  ['a deeply nested JSON array string', DEEP_JSON_STRING],
  ['a deeply nested JSON object string', DEEP_OBJECT_STRING],
];

/** Values no id field may accept. */
const BAD_IDS: unknown[] = [
  null,
  '',
  ' ',
  '0',
  0,
  -1,
  '-1',
  '1e3',
  1e3 + 0.5,
  '12abc',
  'abc',
  1.5,
  '1.0',
  '2147483648',
  2147483648,
  '1'.repeat(100_000),
  true,
  {},
  [],
  [ALICE],
  { id: ALICE },
  nestedObject(500),
];

function short(value: unknown): string {
  const text =
    typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Resolves with the next payload of `event`, or with `undefined` after `timeoutMs`. */
function nextOrNothing(socket: TestSocket, event: string, timeoutMs: number): Promise<any> {
  return waitFor(socket, event, timeoutMs).catch(() => undefined);
}

/**
 * After expectServerStillWorks: a bystander saw nothing but that probe message. Socket.IO keeps
 * the order of one connection, so anything the refused requests had wrongly sent would be here.
 */
function expectOnlyTheProbe(seen: Array<[string, any]>, text: string): void {
  expect(seen.map(([event, payload]) => [event, payload?.message])).toEqual([
    ['new_message', text],
  ]);
}

/** Records every answer event a socket receives. */
function recordAnswers(socket: TestSocket): Array<[string, unknown]> {
  const seen: Array<[string, unknown]> = [];
  for (const event of ['exception', ...ANSWER_EVENTS])
    socket.on(event, (payload: unknown) => seen.push([event, payload]));
  return seen;
}

/** Every field of an answer, with ids and timestamps reduced to their type (they differ run to run). */
function normalize(value: any, volatile: string[]): any {
  if (Array.isArray(value)) return value.map((item) => normalize(item, volatile));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = volatile.includes(key) ? `<${typeof value[key]}>` : value[key];
  }
  return out;
}

describe('robustness', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ],
  });

  /** Emits one refused request after another; returns a description of each that was not refused properly. */
  async function expectAllRefused(
    socket: TestSocket,
    attempts: Array<[string, string, unknown]>,
  ): Promise<string[]> {
    const problems: string[] = [];
    for (const [label, event, payload] of attempts) {
      const answer = nextOrNothing(socket, 'exception', 1500);
      if (payload === undefined) socket.emit(event);
      else socket.emit(event, payload);
      const exception = await answer;
      const problem =
        exception === undefined ? 'no exception within 1.5 s' : errorShapeProblem(exception, event);
      if (problem) problems.push(`${event} with ${label}: ${problem}`);
    }
    return problems;
  }

  /** Proves the server still serves everybody: Alice -> Bob is delivered and stored. */
  async function expectServerStillWorks(alice: TestSocket, bob: TestSocket, text: string) {
    expect(alice.connected).toBe(true);
    expect(bob.connected).toBe(true);
    const delivered = waitFor(bob, 'new_message');
    alice.emit('send_message', { senderId: ALICE, receiverId: BOB, messageType: 0, message: text });
    expect(await delivered).toMatchObject({ senderId: ALICE, receiverId: BOB, message: text });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  }

  /** Alice (phone + tablet) and Bob connected, with an unread message from Bob to Alice stored. */
  async function scene() {
    const alice = await connectAs(server.url, ALICE);
    const aliceTablet = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const copies = [bob, alice, aliceTablet].map((socket) => waitFor(socket, 'new_message'));
    bob.emit('send_message', {
      senderId: BOB,
      receiverId: ALICE,
      messageType: 0,
      message: 'unread',
    });
    await Promise.all(copies);
    return {
      alice,
      aliceTablet,
      bob,
      tabletSeen: recordAnswers(aliceTablet),
      bobSeen: recordAnswers(bob),
    };
  }

  describe.each(EVENTS)('%s', (event) => {
    it('refuses payloads of every bad shape with an exception on the calling socket only, changing nothing', async () => {
      const { alice, bob, tabletSeen, bobSeen } = await scene();
      const before = await snapshot(server);
      const attempts: Array<[string, string, unknown]> = [['no payload', event, undefined]];
      for (const [label, payload] of BAD_PAYLOADS) attempts.push([label, event, payload]);
      // the valid payload wrapped in an array, or as a JSON string of that array
      attempts.push(['the valid payload inside an array', event, [VALID[event]]]);
      attempts.push([
        'a JSON string of the valid payload inside an array',
        event,
        JSON.stringify([VALID[event]]),
      ]);
      expect(await expectAllRefused(alice, attempts)).toEqual([]);

      expect(await snapshot(server)).toEqual(before);
      await expectServerStillWorks(alice, bob, `still fine after bad ${event}`);
      expectOnlyTheProbe(tabletSeen, `still fine after bad ${event}`);
      expectOnlyTheProbe(bobSeen, `still fine after bad ${event}`);
    });

    it('refuses missing fields, bad ids, unknown users, oneself and a foreign acting user', async () => {
      const { alice, bob, tabletSeen, bobSeen } = await scene();
      const before = await snapshot(server);
      const valid = VALID[event];
      const attempts: Array<[string, string, unknown]> = [];
      for (const field of Object.keys(valid)) {
        const { [field]: _removed, ...rest } = valid;
        attempts.push([`${field} missing`, event, rest]);
        attempts.push([`${field} missing (JSON string)`, event, JSON.stringify(rest)]);
      }
      for (const field of ID_FIELDS[event]) {
        for (const bad of BAD_IDS) {
          attempts.push([`${field}=${short(bad)}`, event, { ...valid, [field]: bad }]);
        }
        attempts.push([`${field}=unknown user`, event, { ...valid, [field]: UNKNOWN }]);
      }
      const [acting, other] = ID_FIELDS[event];
      // another user as the acting user (Alice's socket is bound to Alice)
      attempts.push([`${acting}=Bob (not the bound user)`, event, { ...valid, [acting]: BOB }]);
      attempts.push([`${acting}=Bob as a string`, event, { ...valid, [acting]: String(BOB) }]);
      if (other) {
        attempts.push([`${other}=oneself`, event, { ...valid, [other]: ALICE }]);
        attempts.push([
          `${other}=oneself as a string`,
          event,
          { ...valid, [other]: String(ALICE) },
        ]);
      }
      if (event === 'send_message') {
        for (const messageType of [3, '3', -1, 'text', null, 1.5, '', '0x1', [], {}]) {
          attempts.push([`messageType=${short(messageType)}`, event, { ...valid, messageType }]);
        }
        for (const message of ['', null, 42, ['hi'], { text: 'hi' }, true]) {
          attempts.push([`message=${short(message)}`, event, { ...valid, message }]);
        }
      }
      expect(await expectAllRefused(alice, attempts)).toEqual([]);

      expect(await snapshot(server)).toEqual(before);
      await expectServerStillWorks(alice, bob, `still fine after bad fields of ${event}`);
      expectOnlyTheProbe(tabletSeen, `still fine after bad fields of ${event}`);
      expectOnlyTheProbe(bobSeen, `still fine after bad fields of ${event}`);
    });
  });

  it('answers a refusal through the ack with the same object as the exception event', async () => {
    const { alice, aliceTablet, bob } = await scene();
    const before = await snapshot(server);
    const tabletExceptions = collect(aliceTablet, 'exception');
    for (const [event, payload] of [
      ['send_message', { ...VALID.send_message, message: '' }],
      ['send_message', 'not json'],
      ['chat_listing', null],
      ['get_message', { senderId: ALICE, receiverId: UNKNOWN }],
      ['block_user', [1, 2]],
      ['delete_chat', { senderId: BOB, receiverId: ALICE }],
      ['report_user', { userId: ALICE, user2Id: BOB, comment: 42 }],
      ['read_unread', {}],
      ['connect_user', { userId: BOB }],
    ] as Array<[string, unknown]>) {
      const event_ = waitFor(alice, 'exception');
      const ack = await emitWithAck(alice, event, payload);
      expect([event, errorShapeProblem(ack, event)]).toEqual([event, null]);
      expect(await event_).toEqual(ack);
    }
    await sleep(300);
    expect(tabletExceptions).toEqual([]);
    expect(await snapshot(server)).toEqual(before);
    await expectServerStillWorks(alice, bob, 'acks are fine');
  });

  it('refuses every event but connect_user until the socket is bound, and then works normally', async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const aliceSeen = recordAnswers(alice);
    const bobSeen = recordAnswers(bob);
    const before = await snapshot(server);
    const stranger = await connect(server.url);
    const attempts: Array<[string, string, unknown]> = EVENTS.filter(
      (e) => e !== 'connect_user',
    ).map((event) => ['a valid payload naming Alice', event, VALID[event]]);
    // binding a user who does not exist is refused too, and leaves the socket unbound
    attempts.push(['an unknown user', 'connect_user', { userId: UNKNOWN }]);
    attempts.push(['a valid payload after a refused bind', 'send_message', VALID.send_message]);
    expect(await expectAllRefused(stranger, attempts)).toEqual([]);
    await sleep(300);
    expect(aliceSeen).toEqual([]);
    expect(bobSeen).toEqual([]);
    expect(await snapshot(server)).toEqual(before);

    const bound = waitFor(stranger, 'connect_listener');
    stranger.emit('connect_user', JSON.stringify({ userId: String(CAROL) }));
    expect(await bound).toMatchObject({ success_message: 'connected successfully', userId: CAROL });
    const delivered = waitFor(bob, 'new_message');
    stranger.emit('send_message', {
      senderId: CAROL,
      receiverId: BOB,
      messageType: 0,
      message: 'bound now',
    });
    expect(await delivered).toMatchObject({ senderId: CAROL, message: 'bound now' });
  });

  it('binding the same user again is harmless; binding a different user is refused and the socket keeps its user', async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const again = waitFor(alice, 'connect_listener');
    alice.emit('connect_user', { userId: ALICE });
    expect(await again).toMatchObject({ success_message: 'connected successfully', userId: ALICE });

    const refused = waitFor(alice, 'exception');
    alice.emit('connect_user', { userId: BOB });
    expectErrorShape(await refused, 'connect_user');

    const asBob = waitFor(alice, 'exception');
    alice.emit('send_message', {
      senderId: BOB,
      receiverId: CAROL,
      messageType: 0,
      message: 'as bob',
    });
    expectErrorShape(await asBob, 'send_message');
    await expectServerStillWorks(alice, bob, 'still alice');
    const rows = await server.query<{ message: string }>(
      'SELECT message FROM messages ORDER BY id',
    );
    expect(rows.map((row) => row.message)).toEqual(['still alice']);
  });

  it('ignores unknown events: no answer, no ack, and the server keeps working', async () => {
    const { alice, bob, tabletSeen, bobSeen } = await scene();
    const aliceSeen = recordAnswers(alice);
    const before = await snapshot(server);
    const acks: unknown[] = [];
    for (const event of [
      'unknown_event',
      'sendMessage',
      'SEND_MESSAGE',
      'constructor',
      'toString',
      '__proto__',
      'hasOwnProperty',
      'connect_listener',
      'new_message',
      '',
    ]) {
      alice.emit(event, VALID.send_message);
      alice.emit(event, VALID.send_message, (answer: unknown) => acks.push([event, answer]));
    }
    // a valid request after them proves the server already handled everything before it
    const answered = waitFor<any[]>(alice, 'chat_message');
    alice.emit('chat_listing', { userId: ALICE });
    expect(await answered).toHaveLength(1);
    await sleep(300);
    expect(aliceSeen.filter(([event]) => event !== 'chat_message')).toEqual([]);
    expect(acks).toEqual([]);
    expect(tabletSeen).toEqual([]);
    expect(bobSeen).toEqual([]);
    expect(await snapshot(server)).toEqual(before);
    await expectServerStillWorks(alice, bob, 'unknown events ignored');
  });

  describe('message length (code points)', () => {
    it('accepts a message of exactly 10,000 code points (emoji, 20,000 UTF-16 units)', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const message = '😀'.repeat(10_000);
      const delivered = waitFor(bob, 'new_message');
      alice.emit('send_message', { ...VALID.send_message, message });
      const row = await delivered;
      expect(row.message).toBe(message);
      const [stored] = await server.query<{ length: unknown; message: string }>(
        'SELECT char_length(message) AS length, message FROM messages',
      );
      expect(Number(stored.length)).toBe(10_000);
      expect(stored.message).toBe(message);
    });

    it('accepts a message of 10,000 ASCII characters', async () => {
      const alice = await connectAs(server.url, ALICE);
      const echoed = waitFor(alice, 'new_message');
      alice.emit('send_message', { ...VALID.send_message, message: 'a'.repeat(10_000) });
      expect((await echoed).message).toHaveLength(10_000);
    });

    it('refuses a message of 10,001 code points (emoji or ASCII) and stores nothing', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const bobSeen = recordAnswers(bob);
      const messages = collect(alice, 'new_message');
      for (const message of ['😀'.repeat(10_001), 'a'.repeat(10_001), '😀'.repeat(10_000) + 'a']) {
        const refused = waitFor(alice, 'exception');
        alice.emit('send_message', { ...VALID.send_message, message });
        expectErrorShape(await refused, 'send_message');
      }
      await sleep(300);
      expect(messages).toEqual([]);
      expect(bobSeen).toEqual([]);
      expect(await count(server, 'messages')).toBe(0);
    });
  });

  it('survives a burst of bad input from many sockets while others keep chatting', async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const attackers = await Promise.all([1, 2].map(() => connectAs(server.url, CAROL)));
    const received = collect(bob, 'new_message');
    for (const attacker of attackers) {
      for (const [, payload] of BAD_PAYLOADS) {
        for (const event of EVENTS) attacker.emit(event, payload);
      }
    }
    for (let i = 0; i < 5; i++) {
      alice.emit('send_message', { ...VALID.send_message, message: `during the burst ${i}` });
    }
    // all delivered (the contract promises no order between requests sent without waiting)
    await eventually(async () => {
      expect(received.map((row) => row.message).sort()).toEqual(
        [0, 1, 2, 3, 4].map((i) => `during the burst ${i}`),
      );
    }, 10_000);
    await expectServerStillWorks(alice, bob, 'after the burst');
  });

  describe('compatibility matrix', () => {
    const answersByClient = new Map<string, unknown>();
    beforeEach(async () => {
      await server.createUser(ALICE, 'Alice', 'alice.png');
      await server.createUser(BOB, 'Bob', null);
    });

    const CLIENTS = VARIANTS.map(({ version, transport }) => [version, transport] as const);

    describe.each(CLIENTS)('%s client over %s', (version, transport) => {
      it('connect_user, send_message and chat_listing answer as the contract says', async () => {
        const options = { version, transport };
        const alice = await connect(server.url, options);
        const bob = await connect(server.url, options);

        const aliceBound = waitFor(alice, 'connect_listener');
        alice.emit('connect_user', { userId: String(ALICE) });
        const bobBound = waitFor(bob, 'connect_listener');
        bob.emit('connect_user', JSON.stringify({ userId: BOB }));
        const connectAnswers = [await aliceBound, await bobBound];
        expect(connectAnswers[0]).toMatchObject({
          success_message: 'connected successfully',
          userId: ALICE,
        });
        expect(connectAnswers[1]).toMatchObject({
          success_message: 'connected successfully',
          userId: BOB,
        });

        const t0 = nowFloor();
        const echoed = waitFor(alice, 'new_message');
        const delivered = waitFor(bob, 'new_message');
        alice.emit(
          'send_message',
          JSON.stringify({
            senderId: String(ALICE),
            receiverId: String(BOB),
            messageType: '0',
            message: 'héllo 👋',
          }),
        );
        const row = await echoed;
        expect(await delivered).toEqual(row);
        const t1 = nowCeil();
        expect(row).toMatchObject({
          id: expect.any(Number),
          senderId: ALICE,
          receiverId: BOB,
          chatConstantId: expect.any(Number),
          groupId: 0,
          message: 'héllo 👋',
          readStatus: 0,
          messageType: 0,
          deletedId: 0,
          senderName: 'Alice',
          senderImage: 'alice.png',
          recieverImage: '',
          recieverName: 'Bob',
        });
        expect(row.created).toBeGreaterThanOrEqual(t0);
        expect(row.created).toBeLessThanOrEqual(t1);
        expect(typeof row.updated).toBe('number');

        const listed = waitFor<any[]>(bob, 'chat_message');
        bob.emit('chat_listing', { userId: BOB });
        const rows = await listed;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          id: row.chatConstantId,
          groupId: 0,
          lastMessageId: row.id,
          deletedId: 0,
          user_id: ALICE,
          lastMessage: 'héllo 👋',
          userName: 'Alice',
          userImage: 'alice.png',
          created_at: row.created,
          messageType: 0,
          isOnline: 1,
          unreadcount: 1,
        });

        // a refusal reaches this client too, in the same shape
        const refused = waitFor(alice, 'exception');
        alice.emit('send_message', {
          senderId: ALICE,
          receiverId: BOB,
          messageType: 0,
          message: '',
        });
        const exception = await refused;
        expectErrorShape(exception, 'send_message');

        answersByClient.set(`${version}/${transport}`, {
          exceptionKeys: Object.keys(exception).sort(),
          connect: normalize(connectAnswers, []),
          newMessage: normalize(row, ['id', 'chatConstantId', 'created', 'updated']),
          listing: normalize(rows, ['id', 'lastMessageId', 'created', 'updated', 'created_at']),
        });
      });
    });

    it('gives identical answers to every client', () => {
      expect([...answersByClient.keys()].sort()).toEqual(
        CLIENTS.map(([version, transport]) => `${version}/${transport}`).sort(),
      );
      const [first, ...others] = [...answersByClient.values()];
      for (const other of others) expect(other).toEqual(first);
    });
  });
});

describe('transport limit (maxHttpBufferSize 100000)', () => {
  const server = useTestServer({
    env: { MAX_HTTP_BUFFER_SIZE: '100000' },
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ],
  });

  it.each(['websocket', 'polling'] as Transport[])(
    'a frame over the limit (%s) closes only the socket that sent it',
    async (transport) => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const carolPhone = await connectAs(server.url, CAROL, { transport });
      const carolTablet = await connectAs(server.url, CAROL);
      const closed = waitFor(carolPhone, 'disconnect', 5000);
      carolPhone.emit('send_message', {
        senderId: CAROL,
        receiverId: BOB,
        messageType: 0,
        message: 'x'.repeat(200_000),
      });
      await closed;
      expect(carolPhone.connected).toBe(false);

      // everybody else, including Carol's other device, keeps receiving messages
      const toBob = waitFor(bob, 'new_message');
      alice.emit('send_message', {
        senderId: ALICE,
        receiverId: BOB,
        messageType: 0,
        message: 'still here',
      });
      expect(await toBob).toMatchObject({ senderId: ALICE, message: 'still here' });
      const toCarol = waitFor(carolTablet, 'new_message');
      alice.emit('send_message', {
        senderId: ALICE,
        receiverId: CAROL,
        messageType: 0,
        message: 'carol?',
      });
      expect(await toCarol).toMatchObject({ senderId: ALICE, message: 'carol?' });
      expect(alice.connected && bob.connected && carolTablet.connected).toBe(true);

      const rows = await server.query<{ message: string }>(
        'SELECT message FROM messages ORDER BY id',
      );
      expect(rows.map((row) => row.message)).toEqual(['still here', 'carol?']);
    },
  );

  it('a frame under the limit but over 10,000 characters is refused with an exception, the socket stays', async () => {
    const carol = await connectAs(server.url, CAROL);
    const refused = waitFor(carol, 'exception');
    carol.emit('send_message', {
      senderId: CAROL,
      receiverId: BOB,
      messageType: 0,
      message: 'x'.repeat(50_000),
    });
    expectErrorShape(await refused, 'send_message');
    await sleep(100);
    expect(carol.connected).toBe(true);
  });
});
