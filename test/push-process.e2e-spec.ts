// Push notifications across real server processes (issue 12): two nodes share
// the queue and each push is sent by exactly one of them; a node killed with
// SIGKILL while it held a push (stored, leased, not yet answered by the
// webhook) leaves it to the next node, which sends it once its lease ends.
// Prints the counts (acked lost, pushes missing, duplicates) as the fault specs do.
import pg from 'pg';
import { sendMessage, text } from './support/protocol.js';
import {
  startStandIn,
  verifyWebhookSignature,
  WEBHOOK_SECRET,
  type StandIn,
} from './support/push-receivers.js';
import {
  createScratchDatabase,
  ensureBuilt,
  REDIS_SERVER_URL,
  sharedServicesAvailable,
  startCluster,
  startServerProcess,
  type Cluster,
} from './support/server-process.js';
import { closeAllSockets, connectAs } from './support/sockets.js';

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

function pushEnv(receiver: StandIn): Record<string, string> {
  return {
    PUSH_WEBHOOK_URL: `${receiver.url}/push`,
    PUSH_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PUSH_POLL_MS: '100',
    PUSH_RETRY_BASE_MS: '50',
    PUSH_RETRY_MAX_MS: '200',
    PUSH_TIMEOUT_MS: '1000',
    PUSH_LEASE_MS: '2000',
  };
}

async function liveQueue(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM push_deliveries WHERE dead_at IS NULL',
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

async function metricOf(url: string, name: string): Promise<number> {
  const body = await (await fetch(`${url}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith(`${name}{sender="webhook"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describeWithServices('push notifications on two nodes', () => {
  let cluster: Cluster;
  let receiver: StandIn;
  const SENDERS = 10;
  const PER_SENDER = 4;
  const ONLINE_SENDER = 2 * SENDERS + 1;
  const ONLINE_RECEIVER = 2 * SENDERS + 2;

  beforeAll(async () => {
    receiver = await startStandIn();
    cluster = await startCluster(2, pushEnv(receiver));
    for (let id = 1; id <= 2 * SENDERS + 2; id++) await cluster.nodes[0].createUser(id);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    await receiver?.close();
  }, 30_000);

  it('sends each push exactly once, from one node or the other, and none to a receiver online on the other node', async () => {
    const sends: Array<Promise<{ id: number }>> = [];
    for (let index = 0; index < SENDERS; index++) {
      const senderId = 2 * index + 1;
      const socket = await connectAs(cluster.nodes[index % 2].url, senderId);
      // Receivers (even ids) stay offline.
      for (let n = 0; n < PER_SENDER; n++) {
        sends.push(sendMessage(socket, text(senderId, senderId + 1, `m ${senderId} ${n}`)));
      }
    }
    // One receiver online on the other node only: its messages push nowhere.
    const onlineSender = await connectAs(cluster.nodes[0].url, ONLINE_SENDER);
    await connectAs(cluster.nodes[1].url, ONLINE_RECEIVER);
    for (let n = 0; n < PER_SENDER; n++) {
      await sendMessage(onlineSender, text(ONLINE_SENDER, ONLINE_RECEIVER, `online ${n}`));
    }
    const rows = await Promise.all(sends);
    const expected = SENDERS * PER_SENDER;
    await receiver.waitFor(expected, () => true, 20_000);
    for (let i = 0; i < 50 && (await liveQueue(cluster.databaseUrl)) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const byDelivery = new Map<string, number>();
    for (const request of receiver.requests) {
      const id = String(request.headers['x-chat-delivery']);
      byDelivery.set(id, (byDelivery.get(id) ?? 0) + 1);
    }
    const pushedIds = new Set(receiver.requests.map((r) => JSON.parse(r.body).message.id));
    const missing = rows.filter((row) => !pushedIds.has(row.id)).length;
    const duplicates = [...byDelivery.values()].reduce((sum, n) => sum + n - 1, 0);
    const toOnline = receiver.requests.filter(
      (r) => JSON.parse(r.body).receiverId === ONLINE_RECEIVER,
    ).length;
    const sentBy = await Promise.all(
      cluster.nodes.map((node) => metricOf(node.url, 'chat_push_sent_total')),
    );
    console.log(
      `two nodes, ${expected} messages to offline receivers: acked ${rows.length}, pushes ` +
        `${receiver.requests.length}, missing ${missing}, duplicates ${duplicates}, ` +
        `pushes to the receiver online on the other node ${toOnline}, ` +
        `sent by node 1 ${sentBy[0]}, by node 2 ${sentBy[1]}`,
    );
    expect(receiver.requests.every((r) => verifyWebhookSignature(r))).toBe(true);
    expect({
      missing,
      duplicates,
      toOnline,
      queued: await liveQueue(cluster.databaseUrl),
    }).toEqual({
      missing: 0,
      duplicates: 0,
      toOnline: 0,
      queued: 0,
    });
    expect(sentBy[0] + sentBy[1]).toBe(expected);
  }, 60_000);
});

describeWithServices('a node killed with SIGKILL while it held a push', () => {
  it('leaves the push to the restarted node, which sends it after the lease: same delivery id', async () => {
    ensureBuilt();
    const database = await createScratchDatabase();
    // The first attempt hangs (the node is killed while waiting); later ones succeed.
    const receiver = await startStandIn((_request, index) =>
      index === 0 ? 'hang' : { status: 200 },
    );
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: REDIS_SERVER_URL,
      REDIS_KEY_PREFIX: `push-kill-${process.pid}-${Date.now()}`,
      ...pushEnv(receiver),
    };
    try {
      const victim = await startServerProcess(env);
      await victim.createUser(1, 'Alice');
      await victim.createUser(2, 'Bob');
      const alice = await connectAs(victim.url, 1);
      const row = await sendMessage(alice, text(1, 2, 'pushed after the crash'));
      const [held] = await receiver.waitFor(1);
      victim.kill('SIGKILL');
      expect(await victim.exited).toBeNull();
      await closeAllSockets();
      const restarted = await startServerProcess(env);
      const [, delivered] = await receiver.waitFor(2, () => true, 15_000);
      for (let i = 0; i < 50 && (await liveQueue(database.url)) > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const ackedLost = row.id > 0 ? 0 : 1;
      const deliveredIds = receiver.requests.slice(1).map((r) => r.headers['x-chat-delivery']);
      console.log(
        `SIGKILL while holding a push: acked lost ${ackedLost}, attempts ${receiver.requests.length} ` +
          `(1 cut off by the kill), delivered ${deliveredIds.length}, duplicates ${deliveredIds.length - 1}`,
      );
      expect(JSON.parse(delivered.body).message).toMatchObject({
        id: row.id,
        message: row.message,
      });
      expect(delivered.headers['x-chat-delivery']).toBe(held.headers['x-chat-delivery']);
      expect(deliveredIds).toHaveLength(1);
      expect(await liveQueue(database.url)).toBe(0);
      restarted.kill('SIGTERM');
      await restarted.exited;
    } finally {
      await closeAllSockets();
      await receiver.close();
      await database.drop();
    }
  }, 90_000);
});
