import { jest } from '@jest/globals';
import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';
import { BLOCKED_BY, ModerationService, YOU_BLOCKED } from '../moderation/moderation.service.js';
import { UsersService } from '../users/users.service.js';
import { MessageType } from './message.entity.js';
import { MessagesService, SendResult } from './messages.service.js';
import { AppConfig, isEmbedded } from '../config/app-config.js';
import { UnknownUserError } from '../errors/domain-errors.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { PushPlanner } from '../push/push-planner.js';
import { OutboundBatching } from '../realtime/outbound-batching.js';
import {
  MAX_BATCH_SIZE,
  NotSentError,
  SendBatcher,
  SendNotStoredError,
  SendOutcomeUnknownError,
  STORE_BATCH_SQL,
} from './send-batcher.js';

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

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

  // A hashed subplan read the whole users table on every batch (20,000 users twice): the rules
  // look users, bans and blocks up with one index probe per message, whatever the statistics say.
  it('plans the rule checks as index probes, never a scan of users, blocks or bans per batch', async () => {
    await context.dataSource.query(
      `INSERT INTO users (id, name) SELECT g, 'user ' || g FROM generate_series(1000, 20999) g`,
    );
    await context.dataSource.query(
      `INSERT INTO blocks (blocker_id, blocked_id) SELECT g, g + 1 FROM generate_series(1000, 5999) g`,
    );
    await context.dataSource.query(
      `INSERT INTO bans (user_id, reason, created_by) SELECT g, 'spam', 'test' FROM generate_series(6000, 8999) g`,
    );
    const input = JSON.stringify(
      PAIRS.map(([from, to], ord) => ({
        ord,
        message_key: `00000000-0000-4000-8000-${String(ord).padStart(12, '0')}`,
        client_message_id: null,
        sender_id: from,
        receiver_id: to,
        message: 'plan',
        message_type: 0,
        created: 1,
      })),
    );
    const runner = context.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // The server's named statement is planned once for every later batch: a generic plan.
      await runner.query('SET plan_cache_mode = force_generic_plan');
      await runner.query(`PREPARE store_plan_check (json, jsonb) AS ${STORE_BATCH_SQL}`);
      const rows: Array<Record<string, string>> = await runner.query(
        `EXPLAIN EXECUTE store_plan_check(${literal(input)}::json, NULL)`,
      );
      const plan = rows.map((row) => Object.values(row)[0]).join('\n');
      expect(plan).not.toMatch(/Seq Scan on (users|blocks|bans)\b/);
      expect(plan).not.toMatch(/hashed SubPlan/);
    } finally {
      await runner.query('DEALLOCATE ALL').catch(() => undefined);
      await runner.query('RESET plan_cache_mode').catch(() => undefined);
      await runner.release();
    }
  });

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
    expect(values[4]).toEqual(new UnknownUserError(99));
    expect(values[5]).toEqual(new UnknownUserError(98));
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

  it("keeps a sender's order across conversations while its earlier batch is still in flight", async () => {
    // The first batch (1 -> 2) is held before its statement, longer than OVERLAP_AFTER_MS, while
    // user 1 queues more to 3, 4 and 2: a second batch may start meanwhile, but not with them.
    const planner = context.get(PushPlanner);
    const plan = planner.plan.bind(planner);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = jest.spyOn(planner, 'plan').mockImplementationOnce(async (batch) => {
      await gate;
      return plan(batch);
    });
    const answered: string[] = [];
    const send = (to: number, text: string) =>
      messages.send(1, to, MessageType.Text, text).then((result) => {
        answered.push(text);
        return stored(result);
      });
    try {
      const first = send(2, 'm0');
      await new Promise((resolve) => setImmediate(resolve));
      const rest = [3, 4, 2, 3, 4].map((to, i) => send(to, `m${i + 1}`));
      // Someone else's message, in another conversation: on Postgres (two batches in flight)
      // stored in a batch of its own meanwhile; the embedded database runs one batch at a time.
      let otherAnswered = false;
      const other = messages.send(5, 6, MessageType.Text, 'unrelated').then((result) => {
        otherAnswered = true;
        return stored(result);
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(otherAnswered).toBe(!isEmbedded(context.get(AppConfig)));
      release();
      const rows = await Promise.all([first, ...rest]);
      await other;
      const texts = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
      expect(answered).toEqual(texts);
      const ids = rows.map((row) => row.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      const order: Array<{ message: string }> = await context.dataSource.query(
        'SELECT message FROM messages WHERE sender_id = 1 ORDER BY id',
      );
      expect(order.map((row) => row.message)).toEqual(texts);
    } finally {
      release();
      spy.mockRestore();
    }
  });
});

/** Faults and keys (issue 10): a batch runs again with the same keys; nothing is stored twice. */
describe('SendBatcher faults and keys', () => {
  let context: ServiceContext;
  let messages: MessagesService;
  let batcher: SendBatcher;
  type Execute = (name: string, text: string, values: unknown[]) => Promise<unknown[]>;
  let execute: Execute;

  beforeAll(async () => {
    context = await createServiceContext();
    messages = context.get(MessagesService);
    batcher = context.get(SendBatcher);
    execute = batcher['execute'].bind(batcher) as Execute;
  });
  afterAll(() => context.close());
  beforeEach(() => context.reset(1, 2, 3, 4, 5, 6));
  afterEach(() => {
    batcher['execute'] = execute as SendBatcher['execute'];
    batcher['sendTimeoutMs'] = context.get(AppConfig).sendTimeoutMs;
  });

  /** Replaces the batcher's database call with `fake`, which may call the real one. */
  function inject(fake: (call: number, ...args: Parameters<Execute>) => Promise<unknown[]>) {
    let calls = 0;
    batcher['execute'] = ((name: string, text: string, values: unknown[]) =>
      fake(calls++, name, text, values)) as SendBatcher['execute'];
  }

  async function stored(): Promise<Array<{ id: number; message: string }>> {
    return context.dataSource.query('SELECT id, message FROM messages ORDER BY id');
  }

  it('runs a batch whose answer was lost again: same rows, nothing stored twice, conversations on real rows', async () => {
    inject(async (call, ...args) => {
      const rows = await execute(...args);
      if (call === 0) throw new Error('Connection terminated unexpectedly');
      return rows;
    });
    const sends = [
      messages.send(1, 2, MessageType.Text, 'a'),
      messages.send(3, 4, MessageType.Text, 'b', 'key-b'),
      messages.send(2, 1, MessageType.Text, 'c'),
      messages.send(5, 6, MessageType.Text, 'd', 'key-d'),
    ];
    const results = await Promise.all(sends);
    for (const result of results) expect(result).toMatchObject({ stored: true, repeat: false });
    const rows = results.map((result) => (result.stored ? result.row : undefined)!);
    expect(await stored()).toEqual(rows.map((row) => ({ id: row.id, message: row.message })));
    const conversations: Array<{ last_message_id: number }> = await context.dataSource.query(
      'SELECT last_message_id FROM chat_constants ORDER BY id',
    );
    const ids = new Set(rows.map((row) => row.id));
    for (const { last_message_id } of conversations) expect(ids.has(last_message_id)).toBe(true);
  });

  it('refuses as not stored when no attempt reached the database', async () => {
    batcher['sendTimeoutMs'] = 400;
    inject(() => Promise.reject(new NotSentError(new Error('ECONNREFUSED'))));
    await expect(messages.send(1, 2, MessageType.Text, 'never')).rejects.toBeInstanceOf(
      SendNotStoredError,
    );
    expect(await stored()).toEqual([]);
  });

  it('says it could not confirm when an attempt may have stored it, and a repeat finds the row', async () => {
    batcher['sendTimeoutMs'] = 400;
    inject(async (call, ...args) => {
      if (call === 0) await execute(...args); // committed, but the answer is lost
      throw call === 0 ? new Error('Connection terminated unexpectedly') : new NotSentError('down');
    });
    await expect(messages.send(1, 2, MessageType.Text, 'maybe', 'k')).rejects.toBeInstanceOf(
      SendOutcomeUnknownError,
    );
    batcher['execute'] = execute as SendBatcher['execute'];
    const [row] = await stored();
    expect(await messages.send(1, 2, MessageType.Text, 'maybe', 'k')).toMatchObject({
      stored: true,
      repeat: true,
      row: { id: row.id, message: 'maybe', clientMessageId: 'k' },
    });
    expect(await stored()).toHaveLength(1);
  });

  it('answers repeats of a clientMessageId in one batch, in later batches and from another node with the first row', async () => {
    const other = new SendBatcher(
      context.dataSource,
      context.get(AppConfig),
      context.get(ChatMetrics),
      context.get(PushPlanner),
      context.get(OutboundBatching),
    );
    const fromOtherNode = (text: string) =>
      other.store({
        senderId: 1,
        receiverId: 2,
        messageType: 0,
        text,
        created: 1,
        clientMessageId: 'x',
      });
    const results = await Promise.all([
      messages.send(1, 2, MessageType.Text, 'first', 'x'),
      messages.send(1, 2, MessageType.Text, 'second', 'x'),
      fromOtherNode('third'),
    ]);
    const later = await messages.send(1, 2, MessageType.Text, 'fourth', 'x');
    const [row] = await stored();
    expect(await stored()).toHaveLength(1);
    const ids = [
      results[0].stored && results[0].row.id,
      results[1].stored && results[1].row.id,
      results[2].kind !== 'refused' && results[2].record.id,
      later.stored && later.row.id,
    ];
    expect(ids).toEqual([row.id, row.id, row.id, row.id]);
    expect(later).toMatchObject({ repeat: true, row: { message: row.message } });
  });

  it('answers a repeat with the stored row even after a block (it was stored before)', async () => {
    const first = await messages.send(1, 2, MessageType.Text, 'before the block', 'b');
    await context.get(ModerationService).setBlock(2, 1, 1);
    const again = await messages.send(1, 2, MessageType.Text, 'before the block', 'b');
    expect(again).toMatchObject({ stored: true, repeat: true });
    expect(again.stored && first.stored && again.row.id === first.row.id).toBe(true);
    expect(await messages.send(1, 2, MessageType.Text, 'after', 'c')).toEqual({
      stored: false,
      refusal: BLOCKED_BY,
    });
  });
});
