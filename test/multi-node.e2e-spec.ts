// Two server processes on one Postgres and one Redis behave, for every client,
// like one node (issue: "Run as many nodes as needed").
import { randomUUID } from 'node:crypto';
import { request } from './support/protocol.js';
import {
  sharedServicesAvailable,
  type ServerProcess,
  startCluster,
  type Cluster,
} from './support/server-process.js';
import {
  closeAllSockets,
  collect,
  connectAs,
  sleep,
  waitFor,
  type TestSocket,
} from './support/sockets.js';

const PRESENCE_TTL_MS = 2000;
const ALICE = 1;
const BOB = 2;
const CAROL = 3;
const DAVE = 4;

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

describeWithServices('two nodes behind one Redis', () => {
  let cluster: Cluster;
  let nodeA: ServerProcess;
  let nodeB: ServerProcess;

  beforeAll(async () => {
    cluster = await startCluster(2, { PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) });
    [nodeA, nodeB] = cluster.nodes;
    for (const [id, name] of [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
      [DAVE, 'Dave'],
    ] as const) {
      await nodeA.createUser(id, name);
    }
  }, 90_000);

  afterEach(async () => {
    await closeAllSockets();
  });

  afterAll(() => cluster?.stop(), 30_000);

  /** Alice on A (and a second device on B); Bob on both nodes; Carol on B. */
  async function connectEveryone() {
    return {
      aliceOnA: await connectAs(nodeA.url, ALICE),
      aliceOnB: await connectAs(nodeB.url, ALICE),
      bobOnA: await connectAs(nodeA.url, BOB),
      bobOnB: await connectAs(nodeB.url, BOB, { transport: 'polling' }),
      carolOnB: await connectAs(nodeB.url, CAROL),
    };
  }

  it('delivers new_message to every socket of sender and receiver on both nodes, and to no one else', async () => {
    const { aliceOnA, aliceOnB, bobOnA, bobOnB, carolOnB } = await connectEveryone();
    const carolSaw = collect(carolOnB, 'new_message');
    const text = `hello across nodes ${randomUUID()}`;
    const isOurs = (row: { message?: string }) => row.message === text;
    const arrivals = [aliceOnB, bobOnA, bobOnB].map((s) =>
      waitFor(s, 'new_message', { match: isOurs }),
    );
    const answer = await request(
      aliceOnA,
      'send_message',
      { senderId: ALICE, receiverId: BOB, message: text, messageType: 0 },
      'new_message',
      isOurs,
    );
    const rows = await Promise.all(arrivals);
    for (const row of rows) expect(row).toEqual(answer);
    expect(answer).toMatchObject({ senderId: ALICE, receiverId: BOB, message: text });
    expect(typeof answer.id).toBe('number');
    await sleep(200);
    expect(carolSaw).toEqual([]);
  });

  it('delivers block_data to every socket of both users on both nodes', async () => {
    const { aliceOnA, aliceOnB, bobOnA, bobOnB, carolOnB } = await connectEveryone();
    const carolSaw = collect(carolOnB, 'block_data');
    const everySocket = [aliceOnA, aliceOnB, bobOnA, bobOnB];
    for (const status of ['1', '0']) {
      const arrivals = everySocket.map((s) =>
        waitFor(s, 'block_data', {
          match: (p: { block_data?: string }) => p.block_data === status,
        }),
      );
      bobOnB.emit('block_user', { userId: BOB, user2Id: ALICE, status });
      for (const payload of await Promise.all(arrivals)) {
        expect(payload).toEqual({ block_data: status, userId: String(BOB) });
      }
    }
    await sleep(200);
    expect(carolSaw).toEqual([]);
  });

  it('delivers read_status to every socket of both users on both nodes', async () => {
    const { aliceOnA, aliceOnB, bobOnA, bobOnB, carolOnB } = await connectEveryone();
    await request(aliceOnA, 'send_message', {
      senderId: ALICE,
      receiverId: BOB,
      message: 'unread for now',
      messageType: 0,
    });
    const carolSaw = collect(carolOnB, 'read_status');
    const expected = { userId: BOB, user2Id: ALICE, readStatus: 1 };
    const arrivals = [aliceOnA, aliceOnB, bobOnA, bobOnB].map((s) =>
      waitFor(s, 'read_status', { match: (p: { userId?: number }) => p.userId === BOB }),
    );
    bobOnA.emit('read_unread', { userId: BOB, user2Id: ALICE });
    for (const payload of await Promise.all(arrivals)) expect(payload).toEqual(expected);
    await sleep(200);
    expect(carolSaw).toEqual([]);
  });

  it('shows a profile changed through one node in the next answer of the other', async () => {
    const aliceOnB = await connectAs(nodeB.url, ALICE);
    const send = (message: string) =>
      request(
        aliceOnB,
        'send_message',
        { senderId: ALICE, receiverId: CAROL, message, messageType: 0 },
        'new_message',
        (row: { message?: string }) => row.message === message,
      );
    expect(await send('before the rename')).toMatchObject({ recieverName: 'Carol' });
    await nodeA.createUser(CAROL, 'Caroline');
    expect(await send('after the rename')).toMatchObject({ recieverName: 'Caroline' });
  });

  /** isOnline of `other` in `viewer`'s chat_listing. */
  async function onlineFlag(viewer: TestSocket, viewerId: number, other: number): Promise<number> {
    const rows: Array<{ user_id: number; isOnline: number }> = await request(
      viewer,
      'chat_listing',
      {
        userId: viewerId,
      },
    );
    const row = rows.find((r) => r.user_id === other);
    if (!row) throw new Error(`no conversation with ${other} in ${JSON.stringify(rows)}`);
    return row.isOnline;
  }

  it('shows a user online while any socket is connected to any node, and offline after the last leaves', async () => {
    const carolOnA = await connectAs(nodeA.url, CAROL);
    const daveOnB = await connectAs(nodeB.url, DAVE);
    await request(carolOnA, 'send_message', {
      senderId: CAROL,
      receiverId: DAVE,
      message: 'are you there?',
      messageType: 0,
    });
    expect(await onlineFlag(carolOnA, CAROL, DAVE)).toBe(1);
    const secondDaveOnA = await connectAs(nodeA.url, DAVE, { version: 'v2' });
    daveOnB.close();
    await sleep(300);
    expect(await onlineFlag(carolOnA, CAROL, DAVE)).toBe(1);
    secondDaveOnA.close();
    await sleep(300);
    expect(await onlineFlag(carolOnA, CAROL, DAVE)).toBe(0);
  });

  it('forgets the users of a node killed with SIGKILL within PRESENCE_TTL_MS, and loses none of its acknowledged messages', async () => {
    const carolOnA = await connectAs(nodeA.url, CAROL);
    const daveOnB = await connectAs(nodeB.url, DAVE);
    const acknowledged: number[] = [];
    for (let i = 0; i < 20; i++) {
      const row = await request(
        daveOnB,
        'send_message',
        {
          senderId: DAVE,
          receiverId: CAROL,
          message: `before the kill ${i}`,
          messageType: 0,
        },
        'new_message',
        (r: { message?: string }) => r.message === `before the kill ${i}`,
      );
      acknowledged.push(row.id);
    }
    expect(await onlineFlag(carolOnA, CAROL, DAVE)).toBe(1);

    nodeB.kill('SIGKILL');
    expect(await nodeB.exited).toBeNull();
    const killedAt = Date.now();
    let offlineAfter: number | undefined;
    while (Date.now() - killedAt < PRESENCE_TTL_MS + 3000) {
      if ((await onlineFlag(carolOnA, CAROL, DAVE)) === 0) {
        offlineAfter = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    expect(offlineAfter).toBeDefined();
    // The heartbeat refreshes the TTL; expiry comes at most one TTL after the last refresh.
    expect(offlineAfter!).toBeLessThanOrEqual(PRESENCE_TTL_MS + 500);

    const history: Array<{ id: number }> = await request(carolOnA, 'get_message', {
      senderId: CAROL,
      receiverId: DAVE,
    });
    const stored = new Set(history.map((row) => row.id));
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);
  }, 30_000);
});
