// Redis is optional at run time (issue "Survive the faults"): two nodes on one
// Postgres and a Redis of the test's own, which the test stops for 10 s under
// steady sends. No node exits, every send is answered, local deliveries go on,
// cross-node delivery and presence come back by themselves; a node may even
// start while Redis is down. Each test prints what it counted.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { request } from './support/protocol.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import {
  createScratchDatabase,
  killAllServerProcesses,
  sharedServicesAvailable,
  startServerProcess,
  type ServerProcess,
} from './support/server-process.js';
import { closeAllSockets, connectAs, sleep, waitFor, type TestSocket } from './support/sockets.js';

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

const PRESENCE_TTL_MS = 3000;
const PAIRS = 10;
const SEND_EVERY_MS = 100;
/** A send with neither its row nor a refusal after this long counts as unanswered. */
const ANSWER_BOUND_MS = 10_000;

interface Sent {
  pair: number;
  sentAt: number;
  answeredAt?: number;
  id?: number;
  refusal?: string;
  receivedAt?: number;
}

/** Who talks to whom: pair i is users 2i+1 -> 2i+2, the first half on one node, the rest across. */
interface Pair {
  index: number;
  crossNode: boolean;
  sender: TestSocket;
  receiver: TestSocket;
  senderId: number;
  receiverId: number;
}

/** Every pair sends a message every SEND_EVERY_MS until stopped; texts are unique. */
function steadySends(pairs: Pair[]) {
  const sent = new Map<string, Sent>();
  for (const pair of pairs) {
    pair.receiver.on('new_message', (row: { message?: string; senderId?: number }) => {
      const entry = row.message === undefined ? undefined : sent.get(row.message);
      if (entry && row.senderId === pair.senderId) entry.receivedAt ??= Date.now();
    });
  }
  let counter = 0;
  const timers = pairs.map((pair) =>
    setInterval(() => {
      const text = `p${pair.index}-${counter++}`;
      const entry: Sent = { pair: pair.index, sentAt: Date.now() };
      sent.set(text, entry);
      pair.sender.emit(
        'send_message',
        { senderId: pair.senderId, receiverId: pair.receiverId, messageType: 0, message: text },
        (answer: { id?: number; message?: string; success_message?: string }) => {
          entry.answeredAt = Date.now();
          if (typeof answer?.id === 'number') entry.id = answer.id;
          else entry.refusal = JSON.stringify(answer);
        },
      );
    }, SEND_EVERY_MS),
  );
  return {
    sent,
    stop: () => timers.forEach(clearInterval),
    /** Waits until every send is answered, or the bound passes. */
    async settled(): Promise<void> {
      const deadline = Date.now() + ANSWER_BOUND_MS;
      while ([...sent.values()].some((s) => s.answeredAt === undefined) && Date.now() < deadline) {
        await sleep(100);
      }
    },
  };
}

async function onlineFlag(socket: TestSocket, me: number, other: number): Promise<number> {
  const rows: Array<{ user_id: number; isOnline: number }> = await request(socket, 'chat_listing', {
    userId: me,
  });
  return rows.find((row) => row.user_id === other)?.isOnline ?? -1;
}

async function storedMessages(url: string): Promise<Array<{ id: number; message: string }>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: number; message: string }>('SELECT id, message FROM messages'))
      .rows;
  } finally {
    await client.end();
  }
}

describeWithServices('Redis outages', () => {
  let redis: PrivateRedis;
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    database = await createScratchDatabase();
  }, 30_000);

  afterEach(async () => {
    await closeAllSockets();
    await killAllServerProcesses();
  });

  afterAll(async () => {
    await redis?.stop();
    await database?.drop();
  }, 30_000);

  const nodeEnv = () => ({
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `outage-${randomUUID()}`,
    PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
  });

  it('a 10 s Redis outage under steady sends on two nodes: no node exits, nothing acked is lost or doubled, delivery and presence resume', async () => {
    const env = nodeEnv();
    const nodes: ServerProcess[] = [await startServerProcess(env), await startServerProcess(env)];
    for (let id = 1; id <= 2 * PAIRS; id++) await nodes[0].createUser(id);
    const pairs: Pair[] = [];
    for (let index = 0; index < PAIRS; index++) {
      const crossNode = index >= PAIRS / 2;
      const senderNode = nodes[index % 2];
      const receiverNode = crossNode ? nodes[(index + 1) % 2] : senderNode;
      const senderId = 2 * index + 1;
      const receiverId = senderId + 1;
      pairs.push({
        index,
        crossNode,
        senderId,
        receiverId,
        sender: await connectAs(senderNode.url, senderId),
        receiver: await connectAs(receiverNode.url, receiverId),
      });
    }
    const crossPair = pairs.find((pair) => pair.crossNode)!;
    expect(await onlineFlag(crossPair.receiver, crossPair.receiverId, crossPair.senderId)).toBe(-1);

    const load = steadySends(pairs);
    await sleep(3000);
    await redis.stop();
    const outageStart = Date.now();
    await sleep(10_000);
    // Answered from this node alone while Redis is down (the partner is on the other node).
    const listingDuringOutage = await onlineFlag(
      crossPair.receiver,
      crossPair.receiverId,
      crossPair.senderId,
    );
    await redis.start();
    const outageEnd = Date.now();

    // Presence comes back by itself: the cross-node partner reads as online again.
    let presenceBackAfterMs: number | undefined;
    while (Date.now() - outageEnd < 10_000) {
      if ((await onlineFlag(crossPair.receiver, crossPair.receiverId, crossPair.senderId)) === 1) {
        presenceBackAfterMs = Date.now() - outageEnd;
        break;
      }
      await sleep(200);
    }
    await sleep(6000);
    load.stop();
    await load.settled();
    await sleep(1000); // the last deliveries

    const entries = [...load.sent.entries()];
    const acked = entries.filter(([, s]) => s.id !== undefined);
    const unanswered = entries.filter(([, s]) => s.answeredAt === undefined).length;
    const refused = entries.filter(([, s]) => s.refusal !== undefined);
    const stored = await storedMessages(database.url);
    const storedIds = new Set(stored.map((row) => row.id));
    const ackedLost = acked.filter(([, s]) => !storedIds.has(s.id!)).length;
    const texts = new Map<string, number>();
    for (const row of stored) texts.set(row.message, (texts.get(row.message) ?? 0) + 1);
    const duplicates = [...texts.values()].filter((n) => n > 1).length;
    const crashes = nodes.filter((node) => node.exitCode() !== null).length;
    const inOutage = ([, s]: [string, Sent]) => s.sentAt >= outageStart && s.sentAt < outageEnd;
    const localDuringOutage = acked.filter((e) => inOutage(e) && !pairs[e[1].pair].crossNode);
    const localDeliveredDuringOutage = localDuringOutage.filter(([, s]) => s.receivedAt).length;
    // Cross-node delivery resumed: every cross-node message sent 3 s after Redis came back arrived.
    const crossAfter = acked.filter(
      ([, s]) => pairs[s.pair].crossNode && s.sentAt >= outageEnd + 3000,
    );
    const crossAfterMissed = crossAfter.filter(([, s]) => !s.receivedAt).length;
    const firstCrossBack = acked
      .filter(([, s]) => pairs[s.pair].crossNode && s.sentAt >= outageEnd && s.receivedAt)
      .map(([, s]) => s.receivedAt! - outageEnd)
      .sort((a, b) => a - b)[0];

    console.log(
      `Redis stopped 10 s under ${PAIRS} pairs x ${1000 / SEND_EVERY_MS} msg/s on two nodes: ` +
        `sent ${entries.length}, acked ${acked.length}, refused ${refused.length}, ` +
        `acked lost ${ackedLost}, duplicates ${duplicates}, crashes ${crashes}, unanswered ${unanswered}; ` +
        `same-node messages during the outage delivered ${localDeliveredDuringOutage}/${localDuringOutage.length}; ` +
        `cross-node delivery back ${firstCrossBack ?? 'never'} ms after Redis, ` +
        `${crossAfterMissed}/${crossAfter.length} cross-node messages from 3 s after missed; ` +
        `presence back after ${presenceBackAfterMs ?? 'never'} ms; ` +
        `chat_listing during the outage answered isOnline=${listingDuringOutage}`,
    );
    if (refused.length > 0) console.log(`refusals: ${refused[0][1].refusal}`);
    expect({ ackedLost, duplicates, crashes, unanswered }).toEqual({
      ackedLost: 0,
      duplicates: 0,
      crashes: 0,
      unanswered: 0,
    });
    expect(refused).toEqual([]);
    expect(localDuringOutage.length).toBeGreaterThan(100);
    expect(localDeliveredDuringOutage).toBe(localDuringOutage.length);
    expect(listingDuringOutage).toBe(0);
    expect(crossAfter.length).toBeGreaterThan(50);
    expect(crossAfterMissed).toBe(0);
    expect(presenceBackAfterMs).toBeDefined();
  }, 120_000);

  it('a node starts while Redis is down, serves its own sockets, and joins the others once Redis answers', async () => {
    await redis.stop();
    const env = nodeEnv();
    const nodeA = await startServerProcess(env, { healthy: false });
    expect(nodeA.output()).toMatch(/REDIS_URL: Redis does not answer .*starting degraded/);
    const health = await fetch(`${nodeA.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ redis: 'configured', redisUp: false });
    for (const id of [1, 2, 3]) await nodeA.createUser(id);
    const alice = await connectAs(nodeA.url, 1);
    const bob = await connectAs(nodeA.url, 2);
    const row = await request(
      alice,
      'send_message',
      { senderId: 1, receiverId: 2, messageType: 0, message: 'while Redis is down' },
      'new_message',
    );
    expect(row).toMatchObject({ senderId: 1, receiverId: 2 });

    await redis.start();
    const startedAt = Date.now();
    while ((await fetch(`${nodeA.url}/health`)).status !== 200) {
      if (Date.now() - startedAt > 10_000) throw new Error('node A not healthy 10 s after Redis');
      await sleep(100);
    }
    const healthyAfterMs = Date.now() - startedAt;
    const nodeB = await startServerProcess(env);
    const carol = await connectAs(nodeB.url, 3);
    const delivered = waitFor(bob, 'new_message', {
      timeoutMs: 5000,
      match: (r: { message?: string }) => r.message === 'from B',
    });
    await request(
      carol,
      'send_message',
      { senderId: 3, receiverId: 2, messageType: 0, message: 'from B' },
      'new_message',
    );
    expect(await delivered).toMatchObject({ senderId: 3, receiverId: 2 });
    expect(await onlineFlag(carol, 3, 2)).toBe(1);
    console.log(
      `node started without Redis: healthy ${healthyAfterMs} ms after Redis came up; cross-node delivery and presence work`,
    );
    expect(nodeA.exitCode()).toBeNull();
  }, 90_000);
});
