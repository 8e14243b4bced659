// A node killed with SIGKILL under load (issue "Survive the faults"): nothing it
// acknowledged is lost and nothing is stored twice. Live delivery is not durable
// (a message the killed node stored may never reach a receiver that stayed
// connected elsewhere): that is measured and printed; the durable feed closes
// that gap: every receiver then syncs its feed, and every acked message must
// have reached it live or through sync.
import { sharedServicesAvailable, startCluster, type Cluster } from './support/server-process.js';
import { connectAs, emitWithAck, sleep, type TestSocket } from './support/sockets.js';
import { countFaults, steadySends, type Pair } from './support/steady-sends.js';

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

const PAIRS = 10;
const SEND_EVERY_MS = 100;

describeWithServices('a node killed with SIGKILL under load', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2, { PRESENCE_TTL_MS: '3000' });
    for (let id = 1; id <= 2 * PAIRS; id++) await cluster.nodes[0].createUser(id);
  }, 90_000);

  afterAll(() => cluster?.stop(), 30_000);

  it('loses no acknowledged message and stores none twice', async () => {
    const [survivor, victim] = cluster.nodes;
    // Every receiver stays connected to the survivor; half the senders are on the victim.
    const pairs: Pair[] = [];
    for (let index = 0; index < PAIRS; index++) {
      const senderId = 2 * index + 1;
      const receiverId = senderId + 1;
      pairs.push({
        index,
        senderId,
        receiverId,
        sender: await connectAs((index % 2 ? victim : survivor).url, senderId),
        receiver: await connectAs(survivor.url, receiverId),
      });
    }
    const load = steadySends(pairs, SEND_EVERY_MS);
    await sleep(3000);
    victim.kill('SIGKILL');
    expect(await victim.exited).toBeNull();
    await sleep(3000);
    load.stop();
    await load.settled(10_000);
    await sleep(500);

    const counts = await countFaults(load, cluster.databaseUrl);
    const onVictim = (pair: number) => pair % 2 === 1;
    const entries = [...load.sent.values()];
    // Sends cut off by the kill: their socket died before an answer could come.
    const cutOff = entries.filter((s) => s.answeredAt === undefined && onVictim(s.pair)).length;
    const unansweredOnSurvivor = counts.unanswered - cutOff;
    // Acked by the victim (so stored) and never seen live by a receiver that stayed connected.
    const notDeliveredLive = entries.filter(
      (s) => s.id !== undefined && onVictim(s.pair) && s.receivedAt === undefined,
    ).length;
    // The durable feed: each receiver (it stayed on the survivor) syncs from the start.
    const synced = new Map<number, Set<number>>();
    for (const pair of pairs)
      synced.set(pair.index, await syncedMessageIds(pair.receiver, pair.receiverId));
    const missedLiveAndSync = entries.filter(
      (s) => s.id !== undefined && s.receivedAt === undefined && !synced.get(s.pair)!.has(s.id),
    ).length;
    const recoveredBySync = entries.filter(
      (s) => s.id !== undefined && s.receivedAt === undefined && synced.get(s.pair)!.has(s.id),
    ).length;
    const crashes = survivor.exitCode() === null ? 0 : 1;
    console.log(
      `SIGKILL of one of two nodes under ${PAIRS} pairs x ${1000 / SEND_EVERY_MS} msg/s: ` +
        `sent ${counts.sent}, acked ${counts.acked}, acked lost ${counts.ackedLost}, ` +
        `duplicates ${counts.duplicates}, crashes of the survivor ${crashes}, ` +
        `unanswered on the survivor ${unansweredOnSurvivor}; ` +
        `cut off by the kill (no answer, connection gone) ${cutOff}; ` +
        `acked by the killed node but not delivered live to a connected receiver ${notDeliveredLive}; ` +
        `acked and not delivered live, recovered by sync ${recoveredBySync}, reached by neither ${missedLiveAndSync}`,
    );
    expect(missedLiveAndSync).toBe(0);
    expect({
      ackedLost: counts.ackedLost,
      duplicates: counts.duplicates,
      crashes,
      unansweredOnSurvivor,
    }).toEqual({ ackedLost: 0, duplicates: 0, crashes: 0, unansweredOnSurvivor: 0 });
    expect(counts.acked).toBeGreaterThan(200);
  }, 60_000);
});

/** The ids of every new_message in the user's feed, read with sync page by page. */
async function syncedMessageIds(socket: TestSocket, userId: number): Promise<Set<number>> {
  const ids = new Set<number>();
  let since = 0;
  for (;;) {
    const page = await emitWithAck(socket, 'sync', { userId, since, limit: 500 }, 10_000);
    for (const entry of page.events) if (entry.event === 'new_message') ids.add(entry.data.id);
    since = page.next;
    if (!page.hasMore) return ids;
  }
}
