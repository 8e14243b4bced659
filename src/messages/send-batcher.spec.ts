import { WsException } from '@nestjs/websockets';
import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';
import { BLOCKED_BY, ModerationService, YOU_BLOCKED } from '../moderation/moderation.service.js';
import { UsersService } from '../users/users.service.js';
import { MessageType } from './message.entity.js';
import { MessagesService, SendResult } from './messages.service.js';
import { MAX_BATCH_SIZE } from './send-batcher.js';

/** Group commit: concurrent sends share one statement, with a lone send's rules per message. */
describe('SendBatcher (through MessagesService.send)', () => {
  let context: ServiceContext;
  let messages: MessagesService;

  const USERS = Array.from({ length: 20 }, (_, i) => i + 1);
  /** Users 1..20 as 10 pairs: (1, 2), (3, 4), ... */
  const PAIRS = Array.from({ length: 10 }, (_, i) => [2 * i + 1, 2 * i + 2] as const);

  beforeAll(async () => {
    context = await createServiceContext();
    messages = context.get(MessagesService);
  });
  afterAll(() => context.close());
  beforeEach(() => context.reset(...USERS));

  function stored(result: SendResult) {
    if (!result.stored) throw new Error(`not stored: ${result.refusal}`);
    return result.row;
  }

  it('stores many concurrent sends, over several batches, with ids ascending in submission order per pair', async () => {
    const sends: Array<{ pair: number; from: number; text: string; result: Promise<SendResult> }> =
      [];
    // Started in one turn of the event loop: more than one batch's worth, both directions.
    for (let round = 0; sends.length < MAX_BATCH_SIZE + 100; round++) {
      PAIRS.forEach(([a, b], pair) => {
        const [from, to] = round % 3 === 2 ? [b, a] : [a, b];
        const text = `pair ${pair} round ${round}`;
        sends.push({ pair, from, text, result: messages.send(from, to, MessageType.Text, text) });
      });
    }
    const rows = (await Promise.all(sends.map((s) => s.result))).map(stored);

    rows.forEach((row, i) =>
      expect(row).toMatchObject({ senderId: sends[i].from, message: sends[i].text }),
    );
    PAIRS.forEach((_, pair) => {
      const ids = rows.filter((_, i) => sends[i].pair === pair).map((row) => row.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
    });
    const stored_: Array<{ id: number; message: string }> = await context.dataSource.query(
      'SELECT id, message FROM messages ORDER BY id',
    );
    expect(stored_).toHaveLength(sends.length);
    expect(new Map(stored_.map((r) => [r.id, r.message]))).toEqual(
      new Map(rows.map((r) => [r.id, r.message])),
    );
    // One conversation per pair, opened by the pair's first message, pointing at its newest.
    const conversations: Array<{
      id: number;
      sender_id: number;
      receiver_id: number;
      last_message_id: number;
      updated: string;
    }> = await context.dataSource.query('SELECT * FROM chat_constants ORDER BY user_low_id');
    expect(conversations).toHaveLength(PAIRS.length);
    conversations.forEach((conversation, pair) => {
      const own = rows.filter((_, i) => sends[i].pair === pair);
      expect(conversation).toMatchObject({
        sender_id: PAIRS[pair][0],
        receiver_id: PAIRS[pair][1],
      });
      expect(conversation.last_message_id).toBe(Math.max(...own.map((r) => r.id)));
      expect(Number(conversation.updated)).toBe(Math.max(...own.map((r) => r.updated)));
      expect(new Set(own.map((r) => r.chatConstantId))).toEqual(new Set([conversation.id]));
    });
  });

  it('stores exactly the allowed messages of a mixed batch and refuses the others as a lone send would', async () => {
    const moderation = context.get(ModerationService);
    await moderation.setBlock(3, 4, 1); // 3 blocked 4
    await moderation.setBlock(6, 5, 1); // 5 is blocked by 6
    const outcomes = await Promise.allSettled([
      messages.send(1, 2, MessageType.Text, 'ok 1'),
      messages.send(3, 4, MessageType.Text, 'blocked'),
      messages.send(4, 3, MessageType.Text, 'blocked too'),
      messages.send(5, 6, MessageType.Text, 'blocked by'),
      messages.send(7, 99, MessageType.Text, 'unknown receiver'),
      messages.send(98, 8, MessageType.Text, 'unknown sender'),
      messages.send(2, 1, MessageType.Image, 'ok 2'),
    ]);
    const values = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason));
    expect(values[0]).toMatchObject({ stored: true, row: { message: 'ok 1' } });
    expect(values[1]).toEqual({ stored: false, refusal: YOU_BLOCKED });
    expect(values[2]).toEqual({ stored: false, refusal: BLOCKED_BY });
    expect(values[3]).toEqual({ stored: false, refusal: BLOCKED_BY });
    expect(values[4]).toEqual(new WsException('user 99 does not exist'));
    expect(values[5]).toEqual(new WsException('user 98 does not exist'));
    expect(values[6]).toMatchObject({ stored: true, row: { message: 'ok 2', messageType: 1 } });
    expect(
      await context.dataSource.query('SELECT sender_id, message FROM messages ORDER BY id'),
    ).toEqual([
      { sender_id: 1, message: 'ok 1' },
      { sender_id: 2, message: 'ok 2' },
    ]);
    expect(await context.dataSource.query('SELECT count(*)::int AS n FROM chat_constants')).toEqual(
      [{ n: 1 }],
    );
  });

  it('stores the innocent messages of a batch that fails as a whole, one by one', async () => {
    const outcomes = await Promise.allSettled([
      messages.send(1, 2, MessageType.Text, 'before'),
      // The service does not validate (the gateway does): Postgres refuses NUL in text.
      messages.send(3, 4, MessageType.Text, 'bad \u0000 text'),
      messages.send(5, 6, MessageType.Text, 'after'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await context.dataSource.query('SELECT message FROM messages ORDER BY id')).toEqual([
      { message: 'before' },
      { message: 'after' },
    ]);
  });

  it('shows a profile changed through upsertProfile in the next send', async () => {
    const users = context.get(UsersService);
    const first = stored(await messages.send(1, 2, MessageType.Text, 'hi'));
    expect(first).toMatchObject({ senderName: 'User 1', recieverName: 'User 2' });
    await users.upsertProfile(2, 'Bob', 'bob.png');
    const second = stored(await messages.send(1, 2, MessageType.Text, 'hi Bob'));
    expect(second).toMatchObject({
      senderName: 'User 1',
      senderImage: '',
      recieverName: 'Bob',
      recieverImage: 'bob.png',
    });
    await users.upsertProfile(1, 'Alice', 'alice.png');
    const reply = stored(await messages.send(2, 1, MessageType.Text, 'hi Alice'));
    expect(reply).toMatchObject({
      senderName: 'Bob',
      senderImage: 'bob.png',
      recieverName: 'Alice',
      recieverImage: 'alice.png',
    });
  });

  it('answers only after the statement committed, with the stored row', async () => {
    stored(await messages.send(1, 2, MessageType.Text, 'opens the conversation'));
    // Hold the conversation's row: the batch's upsert has to wait for this transaction.
    const runner = context.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let answered = false;
    let pending: Promise<SendResult> | undefined;
    try {
      await runner.query('SELECT id FROM chat_constants FOR UPDATE');
      pending = messages.send(2, 1, MessageType.Text, 'waits for the lock').then((result) => {
        answered = true;
        return result;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
    } finally {
      await runner.commitTransaction();
      await runner.release();
    }
    const row = stored(await pending!);
    const [record] = await context.dataSource.query('SELECT * FROM messages WHERE id = $1', [
      row.id,
    ]);
    expect(record).toMatchObject({
      id: row.id,
      chat_constant_id: row.chatConstantId,
      sender_id: 2,
      receiver_id: 1,
      message: 'waits for the lock',
      message_type: 0,
      read_status: 0,
      deleted_id: 0,
      group_id: 0,
    });
    expect(Number(record.created)).toBe(row.created);
    expect(Number(record.updated)).toBe(row.updated);
  });
});
