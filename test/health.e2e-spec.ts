// Health that tells the truth (issue 10, item 2): /health/live says the process
// works, /health/ready says it can store messages now, /health keeps its fields.
import pg from 'pg';
import { DataSource } from 'typeorm';
import { connectAs, emitWithAck, sleep } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const SEND_BATCH_TIMEOUT_MS = 300;

async function get(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe('health', () => {
  const server = useTestServer({
    env: { SEND_BATCH_TIMEOUT_MS: String(SEND_BATCH_TIMEOUT_MS) },
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
    ],
  });

  it('GET /health/live answers 200', async () => {
    expect(await get(`${server.url}/health/live`)).toEqual({
      status: 200,
      body: { status: 'ok', uptime: expect.any(Number) },
    });
  });

  it('GET /health/ready answers 200 when the database answers and no send waits', async () => {
    const { status, body } = await get(`${server.url}/health/ready`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      databaseUp: true,
      sendsStuck: false,
      draining: false,
      degraded: false,
      redis: process.env.REDIS_URL ? 'configured' : 'off',
    });
  });

  it('GET /health keeps exactly its fields', async () => {
    const { status, body } = await get(`${server.url}/health`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(
      [
        'status',
        'database',
        'databaseUp',
        'redis',
        ...(process.env.REDIS_URL ? ['redisUp'] : []),
        'draining',
        'uptime',
      ].sort(),
    );
  });

  it('GET /health/ready answers 503 while a send waits longer than SEND_BATCH_TIMEOUT_MS, and 200 once it is stored', async () => {
    const alice = await connectAs(server.url, ALICE);
    await emitWithAck(alice, 'send_message', {
      senderId: ALICE,
      receiverId: BOB,
      messageType: 0,
      message: 'opens the conversation',
    });
    // Hold the conversation's row (on Postgres) or the only connection (embedded).
    const release = await holdConversation(server.app.get(DataSource));
    let answer: Promise<any> | undefined;
    try {
      answer = emitWithAck(
        alice,
        'send_message',
        {
          senderId: ALICE,
          receiverId: BOB,
          messageType: 0,
          message: 'waits',
          clientMessageId: 'w',
        },
        20_000,
      );
      await sleep(SEND_BATCH_TIMEOUT_MS * 3);
      const { status, body } = await get(`${server.url}/health/ready`);
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'error', sendsStuck: true });
      expect(body.oldestSendMs).toBeGreaterThan(SEND_BATCH_TIMEOUT_MS);
    } finally {
      await release();
    }
    expect(await answer).toMatchObject({ message: 'waits', clientMessageId: 'w' });
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    // Stored once, although on Postgres its statement timed out and ran again.
    expect(await server.query('SELECT message FROM messages ORDER BY id')).toEqual([
      { message: 'opens the conversation' },
      { message: 'waits' },
    ]);
  });
});

/** Locks every conversation row until the returned function is called. */
async function holdConversation(dataSource: DataSource): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT id FROM chat_constants FOR UPDATE');
    return async () => {
      await client.query('COMMIT');
      await client.end();
    };
  }
  let finish!: () => void;
  const held = new Promise<void>((resolve) => (finish = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const transaction = dataSource.transaction(async (manager) => {
    await manager.query('SELECT id FROM chat_constants FOR UPDATE');
    started();
    await held;
  });
  await running;
  return async () => {
    finish();
    await transaction;
  };
}
