// Issue 13 on two server processes behind one Redis: bans and erasure reach every node.
import { admin } from './support/admin.js';
import { expectException, getMessages, sendMessage, text } from './support/protocol.js';
import {
  sharedServicesAvailable,
  startCluster,
  type Cluster,
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

const ALICE = 1;
const BOB = 2;
const CAROL = 3;

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

/** The socket's exception and its disconnect, both within a second (the bound). */
function cutWithinASecond(socket: TestSocket): Promise<[any, string]> {
  return Promise.all([
    waitFor(socket, 'exception', 1000),
    waitFor<string>(socket, 'disconnect', 1000),
  ]);
}

describeWithServices('moderation on two nodes', () => {
  let cluster: Cluster;
  let nodeA: ServerProcess;
  let nodeB: ServerProcess;

  beforeAll(async () => {
    cluster = await startCluster(2);
    [nodeA, nodeB] = cluster.nodes;
    for (const [id, name] of [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ] as const) {
      await nodeA.createUser(id, name);
    }
  }, 90_000);

  afterEach(async () => {
    await closeAllSockets();
  });

  afterAll(() => cluster?.stop(), 30_000);

  it('a ban through one node cuts the user’s sockets on both, and refuses their next connect and send on either', async () => {
    const bobOnA = await connectAs(nodeA.url, BOB);
    const bobOnB = await connectAs(nodeB.url, BOB, { transport: 'polling' });
    const bobOnBv2 = await connectAs(nodeB.url, BOB, { version: 'v2' });
    const aliceOnB = await connectAs(nodeB.url, ALICE);
    const cuts = [bobOnA, bobOnB, bobOnBv2].map(cutWithinASecond);
    const { status } = await admin(nodeA.url, 'PUT', `/admin/users/${BOB}/ban`, {
      reason: 'spam',
      until: null,
    });
    expect(status).toBe(200);
    for (const [exception, reason] of await Promise.all(cuts)) {
      expect(exception).toEqual({
        status: 'error',
        message: 'account suspended',
        event: 'connect_user',
      });
      expect(reason).toBe('io server disconnect');
    }
    expect(aliceOnB.connected).toBe(true);

    for (const node of [nodeA, nodeB]) {
      const again = await connect(node.url);
      expect((await expectException(again, 'connect_user', { userId: BOB })).message).toBe(
        'account suspended',
      );
      await expectException(again, 'send_message', text(BOB, ALICE, 'still here'));
    }
    expect(await getMessages(aliceOnB, { senderId: ALICE, receiverId: BOB })).toEqual([]);

    expect((await admin(nodeB.url, 'DELETE', `/admin/users/${BOB}/ban`)).body.lifted).toBe(true);
    for (const node of [nodeA, nodeB]) {
      const back = await connectAs(node.url, BOB);
      const row = await sendMessage(back, text(BOB, ALICE, `back on ${node.url}`));
      expect(row.message).toBe(`back on ${node.url}`);
    }
  }, 30_000);

  it('a ban with until lifts by itself on both nodes', async () => {
    const until = Math.floor(Date.now() / 1000) + 2;
    const bobOnA = await connectAs(nodeA.url, BOB);
    const cut = cutWithinASecond(bobOnA);
    await admin(nodeB.url, 'PUT', `/admin/users/${CAROL}/ban`, { reason: 'x', until: null });
    await admin(nodeB.url, 'PUT', `/admin/users/${BOB}/ban`, { reason: 'cool off', until });
    await cut;
    await sleep(Math.max(until * 1000 - Date.now(), 0) + 100);
    for (const node of [nodeA, nodeB]) {
      const back = await connectAs(node.url, BOB);
      expect((await sendMessage(back, text(BOB, ALICE, `lifted on ${node.url}`))).message).toBe(
        `lifted on ${node.url}`,
      );
      // A ban without end stays.
      const carol = await connect(node.url);
      expect((await expectException(carol, 'connect_user', { userId: CAROL })).message).toBe(
        'account suspended',
      );
    }
  }, 30_000);

  it('an erasure through one node cuts the user’s sockets on both, and neither node knows the user after', async () => {
    const bobOnA = await connectAs(nodeA.url, BOB);
    const bobOnB = await connectAs(nodeB.url, BOB);
    const aliceOnB = await connectAs(nodeB.url, ALICE);
    // Node B has Bob's profile cached from this send.
    await sendMessage(bobOnB, text(BOB, ALICE, 'before the erasure'));
    const cuts = [bobOnA, bobOnB].map(cutWithinASecond);
    const { status, body } = await admin(nodeA.url, 'DELETE', `/admin/users/${BOB}`);
    expect(status).toBe(200);
    expect(body.removed.users).toBe(1);
    for (const [exception] of await Promise.all(cuts)) {
      expect(exception.message).toBe('account deleted');
    }
    for (const node of [nodeA, nodeB]) {
      const again = await connect(node.url);
      expect((await expectException(again, 'connect_user', { userId: BOB })).message).toBe(
        `user ${BOB} does not exist`,
      );
    }
    expect(
      (await expectException(aliceOnB, 'send_message', text(ALICE, BOB, 'gone?'))).message,
    ).toBe(`user ${BOB} does not exist`);
  }, 30_000);
});
