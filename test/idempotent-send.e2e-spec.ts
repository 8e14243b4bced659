// Idempotent send (issue 10, item 5; contract "Extensions: Idempotent send"):
// send_message may carry clientMessageId; a repeat by the same sender stores
// nothing new, answers the original row to the caller, and is not delivered
// to anyone else again. Without it, the legacy behaviour is unchanged.
import { randomUUID } from 'node:crypto';
import { expectException, getMessages, sendMessage, VARIANTS } from './support/protocol.js';
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

/** The legacy new_message fields, in the order the server writes them. */
const LEGACY_ROW_KEYS = [
  'id',
  'senderId',
  'receiverId',
  'chatConstantId',
  'groupId',
  'message',
  'readStatus',
  'messageType',
  'deletedId',
  'created',
  'updated',
  'senderName',
  'senderImage',
  'recieverImage',
  'recieverName',
];

describe('send_message with clientMessageId', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
    ],
  });

  const payload = (message: string, clientMessageId?: unknown) => ({
    senderId: ALICE,
    receiverId: BOB,
    messageType: 0,
    message,
    ...(clientMessageId === undefined ? {} : { clientMessageId }),
  });

  async function storedRows(): Promise<Array<{ id: number; message: string }>> {
    return server.query('SELECT id, message FROM messages ORDER BY id');
  }

  it('echoes clientMessageId on the row, and a repeat answers the same row to the caller only', async () => {
    const alice = await connectAs(server.url, ALICE);
    const aliceTablet = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const bobSaw = collect(bob, 'new_message');
    const tabletSaw = collect(aliceTablet, 'new_message');
    const id = randomUUID();

    const first = await emitWithAck(alice, 'send_message', payload('hello once', id));
    expect(first).toMatchObject({ message: 'hello once', clientMessageId: id });
    expect(Object.keys(first)).toEqual([...LEGACY_ROW_KEYS, 'clientMessageId']);
    await waitFor(bob, 'new_message');

    // The repeat: ack and new_message on the calling socket, with the original row.
    const event = waitFor(alice, 'new_message');
    const again = await emitWithAck(alice, 'send_message', payload('hello once', id));
    expect(again).toEqual(first);
    expect(await event).toEqual(first);
    // A repeat with another text is still the same message: the key decides.
    expect(await emitWithAck(alice, 'send_message', payload('changed my mind', id))).toEqual(first);

    await expectNoEvent(bob, 'new_message', 300);
    expect(bobSaw).toEqual([first]);
    expect(tabletSaw).toEqual([first]);
    expect(await storedRows()).toEqual([{ id: first.id, message: 'hello once' }]);
  });

  it('is per sender: the other party may use the same value', async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB);
    const id = 'shared-value';
    const fromAlice = await emitWithAck(alice, 'send_message', payload('from Alice', id));
    const fromBob = await emitWithAck(bob, 'send_message', {
      senderId: BOB,
      receiverId: ALICE,
      messageType: 0,
      message: 'from Bob',
      clientMessageId: id,
    });
    expect(fromBob.id).not.toBe(fromAlice.id);
    expect((await storedRows()).length).toBe(2);
  });

  it('stores one row for concurrent repeats from two sockets of the sender', async () => {
    const phone = await connectAs(server.url, ALICE);
    const tablet = await connectAs(server.url, ALICE);
    const id = randomUUID();
    const answers = await Promise.all(
      [phone, tablet, phone, tablet].map((socket) =>
        emitWithAck(socket, 'send_message', payload('at once', id)),
      ),
    );
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await storedRows()).toEqual([{ id: answers[0].id, message: 'at once' }]);
  });

  it('answers the same id across a reconnect, and the history holds the message once', async () => {
    const bob = await connectAs(server.url, BOB);
    const bobSaw = collect(bob, 'new_message');
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const answered = new Map<string, number[]>();
    for (let round = 0; round < 3; round++) {
      const alice = await connectAs(server.url, ALICE);
      for (const [i, id] of ids.entries()) {
        const row = await emitWithAck(alice, 'send_message', payload(`storm ${i}`, id));
        answered.set(id, [...(answered.get(id) ?? []), row.id]);
      }
      alice.close();
    }
    for (const got of answered.values()) expect(new Set(got).size).toBe(1);
    const reader = await connectAs(server.url, BOB);
    const history = await getMessages(reader, { senderId: BOB, receiverId: ALICE });
    expect(history.map((row) => [row.message, row.clientMessageId])).toEqual(
      ids.map((id, i) => [`storm ${i}`, id]),
    );
    await sleep(100);
    expect(bobSaw.map((row) => row.clientMessageId)).toEqual(ids);
  });

  it('leaves legacy rows (no clientMessageId) exactly as they were, live and in the history', async () => {
    const alice = await connectAs(server.url, ALICE);
    const legacy = await sendMessage(alice, payload('legacy'));
    expect(Object.keys(legacy)).toEqual(LEGACY_ROW_KEYS);
    // Two legacy sends of the same text are two messages, as before.
    await sendMessage(alice, payload('legacy'));
    const nullId = await sendMessage(alice, payload('null means none', null));
    expect(nullId).not.toHaveProperty('clientMessageId');
    await sendMessage(alice, payload('keyed', 'k-1'));
    const history = await getMessages(alice, { senderId: ALICE, receiverId: BOB });
    expect(history.map((row) => row.message)).toEqual([
      'legacy',
      'legacy',
      'null means none',
      'keyed',
    ]);
    for (const row of history.slice(0, 3)) {
      expect(Object.keys(row)).not.toContain('clientMessageId');
    }
    expect(history[3].clientMessageId).toBe('k-1');
    expect(Object.keys(history[3]).at(-1)).toBe('clientMessageId');
  });

  it.each([
    ['an empty string', ''],
    ['65 characters', 'x'.repeat(65)],
    ['a number', 42],
    ['an object', { id: 1 }],
    ['a NUL character', 'a\u0000b'],
    ['an unpaired surrogate', 'a\uD800b'],
  ])('refuses %s as clientMessageId and stores nothing', async (_, value) => {
    const alice = await connectAs(server.url, ALICE);
    const error = await expectException(alice, 'send_message', payload('refused', value));
    expect(error.message).toMatch(/clientMessageId/);
    expect(await storedRows()).toEqual([]);
  });

  it('counts clientMessageId in code points: 64 emoji are accepted', async () => {
    const alice = await connectAs(server.url, ALICE);
    const id = '😀'.repeat(64);
    const row = await emitWithAck(alice, 'send_message', payload('emoji key', id));
    expect(row.clientMessageId).toBe(id);
  });

  describe.each(VARIANTS)('over $name', ({ version, transport }) => {
    it('a repeat answers the original row', async () => {
      const alice: TestSocket = await connectAs(server.url, ALICE, { version, transport });
      const id = randomUUID();
      const first = await emitWithAck(alice, 'send_message', payload('v', id));
      const again = await emitWithAck(alice, 'send_message', JSON.stringify(payload('v', id)));
      expect(again).toEqual(first);
      expect((await storedRows()).length).toBe(1);
    });
  });
});
