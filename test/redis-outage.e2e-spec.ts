// Redis is optional at run time (issue "Survive the faults"): two nodes on one
// Postgres and a Redis of the test's own, which the test stops for 10 s under
// steady sends. No node exits, every send is answered, local deliveries go on,
// cross-node delivery and presence come back by themselves; a node may even
// start while Redis is down. A frozen Redis (SIGSTOP: connections open, nothing
// answers) hangs no request. Each test prints what it counted.
import { randomUUID } from 'node:crypto';
import { request } from './support/protocol.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { countFaults, steadySends, type Pair, type Sent } from './support/steady-sends.js';
import {
  createScratchDatabase,
  killAllServerProcesses,
  sharedServicesAvailable,
  startServerProcess,
  type ServerProcess,
} from './support/server-process.js';
import {
  closeAllSockets,
  connect,
  connectAs,
  sleep,
  waitFor,
  type TestSocket,
} from './support/sockets.js';

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

const PRESENCE_TTL_MS = 3000;
const PAIRS = 10;
const SEND_EVERY_MS = 100;
/** A send with neither its row nor a refusal after this long counts as unanswered. */
const ANSWER_BOUND_MS = 10_000;

async function onlineFlag(socket: TestSocket, me: number, other: number): Promise<number> {
  const rows: Array<{ user_id: number; isOnline: number }> = await request(socket, 'chat_listing', {
    userId: me,
  });
  return rows.find((row) => row.user_id === other)?.isOnline ?? -1;
}

/** How long Redis stays frozen, longer than any answer may take. */
const FREEZE_MS = 10_000;
/** A listing or connect_user without an answer after this long counts as unanswered. */
const REQUEST_BOUND_MS = 5000;

/** A request's outcome: answered (with its answer event or `exception`) within REQUEST_BOUND_MS, or not. */
type Outcome = 'answered' | 'exception' | 'unanswered';

/** Emits `event` and waits REQUEST_BOUND_MS for `answer` or `exception`, whichever comes first. */
function answeredWithin(
  socket: TestSocket,
  event: string,
  payload: unknown,
  answer: string,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.off(answer, onAnswer);
      socket.off('exception', onException);
      resolve(outcome);
    };
    const onAnswer = () => done('answered');
    const onException = () => done('exception');
    const timer = setTimeout(() => done('unanswered'), REQUEST_BOUND_MS);
    socket.on(answer, onAnswer);
    socket.on('exception', onException);
    socket.emit(event, payload);
  });
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
    const pairs: Array<Pair & { crossNode: boolean }> = [];
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

    const load = steadySends(pairs, SEND_EVERY_MS);
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
    // Degraded, not unready: a Redis outage must not take every node out of the balancer.
    const readyDuringOutage = await Promise.all(
      nodes.map(async (node) => {
        const response = await fetch(`${node.url}/health/ready`);
        return { status: response.status, body: (await response.json()) as unknown };
      }),
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
    await load.settled(ANSWER_BOUND_MS);
    await sleep(1000); // the last deliveries

    const counts = await countFaults(load, database.url);
    const { ackedLost, duplicates, unanswered } = counts;
    const crashes = nodes.filter((node) => node.exitCode() !== null).length;
    const acked = [...load.sent.entries()].filter(([, s]) => s.id !== undefined);
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
        `sent ${counts.sent}, acked ${counts.acked}, refused ${counts.refused}, ` +
        `acked lost ${ackedLost}, duplicates ${duplicates}, crashes ${crashes}, unanswered ${unanswered}; ` +
        `same-node messages during the outage delivered ${localDeliveredDuringOutage}/${localDuringOutage.length}; ` +
        `cross-node delivery back ${firstCrossBack ?? 'never'} ms after Redis, ` +
        `${crossAfterMissed}/${crossAfter.length} cross-node messages from 3 s after missed; ` +
        `presence back after ${presenceBackAfterMs ?? 'never'} ms; ` +
        `chat_listing during the outage answered isOnline=${listingDuringOutage}`,
    );
    expect({ ackedLost, duplicates, crashes, unanswered, refused: counts.refused }).toEqual({
      ackedLost: 0,
      duplicates: 0,
      crashes: 0,
      unanswered: 0,
      refused: 0,
    });
    expect(localDuringOutage.length).toBeGreaterThan(100);
    expect(localDeliveredDuringOutage).toBe(localDuringOutage.length);
    expect(listingDuringOutage).toBe(0);
    for (const ready of readyDuringOutage) {
      expect(ready).toMatchObject({ status: 200, body: { degraded: true } });
    }
    expect(crossAfter.length).toBeGreaterThan(50);
    expect(crossAfterMissed).toBe(0);
    expect(presenceBackAfterMs).toBeDefined();
  }, 120_000);

  it('a frozen Redis (SIGSTOP 10 s, connections open and silent) under steady sends and listings: every request is answered, nothing acked is lost or doubled', async () => {
    // A database of its own: steady-sends texts repeat from one test to the next.
    const own = await createScratchDatabase();
    try {
      await frozenRedis(own.url);
    } finally {
      await own.drop();
    }
  }, 120_000);

  async function frozenRedis(databaseUrl: string): Promise<void> {
    const env = { ...nodeEnv(), DATABASE_URL: databaseUrl };
    const nodes: ServerProcess[] = [await startServerProcess(env), await startServerProcess(env)];
    for (let id = 1; id <= 2 * PAIRS + 2; id++) await nodes[0].createUser(id);
    const pairs: Pair[] = [];
    for (let index = 0; index < PAIRS; index++) {
      const senderId = 2 * index + 1;
      pairs.push({
        index,
        senderId,
        receiverId: senderId + 1,
        sender: await connectAs(nodes[index % 2].url, senderId),
        // Half the pairs across nodes: their partner's presence is only in Redis.
        receiver: await connectAs(
          nodes[(index + (index >= PAIRS / 2 ? 1 : 0)) % 2].url,
          senderId + 1,
        ),
      });
    }
    const load = steadySends(pairs, SEND_EVERY_MS);
    // Every receiver asks chat_listing (presence: isOnline) again as soon as it is answered.
    const listings: Outcome[] = [];
    let listing = true;
    const listers = pairs.map(async (pair) => {
      while (listing) {
        listings.push(
          await answeredWithin(
            pair.receiver,
            'chat_listing',
            { userId: pair.receiverId },
            'chat_message',
          ),
        );
        await sleep(250);
      }
    });

    await sleep(3000);
    redis.pause();
    const frozenAt = Date.now();
    await sleep(1500);
    // New connections binding while Redis is frozen (presence write, rate limits, profile).
    const binds = await Promise.all(
      nodes.map(async (node, i) => {
        const socket = await connect(node.url);
        const userId = 2 * PAIRS + 1 + i;
        return answeredWithin(
          socket,
          'connect_user',
          { userId: String(userId) },
          'connect_listener',
        );
      }),
    );
    await sleep(Math.max(0, FREEZE_MS - (Date.now() - frozenAt)));
    redis.resume();
    await sleep(5000);
    load.stop();
    listing = false;
    await Promise.all(listers);
    await load.settled(ANSWER_BOUND_MS);
    // Shared presence is back: a cross-node partner reads as online again.
    const cross = pairs[PAIRS - 1];
    let presenceBack = false;
    for (const deadline = Date.now() + 10_000; !presenceBack && Date.now() < deadline;) {
      presenceBack = (await onlineFlag(cross.receiver, cross.receiverId, cross.senderId)) === 1;
      if (!presenceBack) await sleep(200);
    }

    const counts = await countFaults(load, databaseUrl);
    const crashes = nodes.filter((node) => node.exitCode() !== null).length;
    const listingsUnanswered = listings.filter((o) => o === 'unanswered').length;
    const listingsRefused = listings.filter((o) => o === 'exception').length;
    const bindsUnanswered = binds.filter((o) => o !== 'answered').length;
    console.log(
      `Redis frozen (SIGSTOP) ${FREEZE_MS / 1000} s under ${PAIRS} pairs x ${1000 / SEND_EVERY_MS} msg/s on two nodes: ` +
        `sent ${counts.sent}, acked ${counts.acked}, refused ${counts.refused}, ` +
        `acked lost ${counts.ackedLost}, duplicates ${counts.duplicates}, crashes ${crashes}, ` +
        `unanswered ${counts.unanswered}; chat_listing ${listings.length}, unanswered ${listingsUnanswered}, ` +
        `refused ${listingsRefused}; connect_user during the freeze not answered ${bindsUnanswered}/${binds.length} ` +
        `(unanswered: no answer within ${REQUEST_BOUND_MS / 1000} s; sends ${ANSWER_BOUND_MS / 1000} s); ` +
        `shared presence back: ${presenceBack}`,
    );
    expect({
      ackedLost: counts.ackedLost,
      duplicates: counts.duplicates,
      crashes,
      unanswered: counts.unanswered,
      listingsUnanswered,
      bindsUnanswered,
    }).toEqual({
      ackedLost: 0,
      duplicates: 0,
      crashes: 0,
      unanswered: 0,
      listingsUnanswered: 0,
      bindsUnanswered: 0,
    });
    expect(presenceBack).toBe(true);
  }

  it('a node starts while Redis is down, serves its own sockets, and joins the others once Redis answers', async () => {
    await redis.stop();
    const env = nodeEnv();
    const nodeA = await startServerProcess(env, { healthy: false });
    expect(nodeA.output()).toMatch(/REDIS_URL: Redis does not answer .*starting degraded/);
    const health = await fetch(`${nodeA.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ redis: 'configured', redisUp: false });
    const ready = await fetch(`${nodeA.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ degraded: true });
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
