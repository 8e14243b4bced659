// Outbound bound (issue 9): a client that asks for whole histories but never
// reads its socket must not make the node buffer answers without limit. Its
// further requests are refused once SOCKET_OUTBOUND_BYTES are unsent, it is
// disconnected if it stays over, the node's RSS stays bounded and other users
// are unaffected. Prints what it counted.
import { request } from './support/protocol.js';
import {
  createScratchDatabase,
  killAllServerProcesses,
  sharedServicesAvailable,
  startServerProcess,
} from './support/server-process.js';
import { closeAllSockets, connectAs, sleep, type TestSocket } from './support/sockets.js';

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

const MESSAGES = 300;
const TEXT = 'x'.repeat(9000);
/** Whole-history requests the stalled client sends (each answer is ~2.8 MB). */
const REQUESTS = 150;

/** The RSS the node reports in /metrics. */
async function rss(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^chat_process_resident_memory_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN);
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(pattern.exec(metrics)?.[1] ?? 0);
}

describeWithServices('a client that stops reading its socket', () => {
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    database = await createScratchDatabase();
  }, 30_000);

  afterEach(async () => {
    await closeAllSockets();
    await killAllServerProcesses();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('requesting whole histories without reading: refused once its unsent answers are over the bound, disconnected, RSS bounded, others unaffected', async () => {
    const node = await startServerProcess({ DATABASE_URL: database.url, RATE_LIMITS: 'off' });
    for (const id of [1, 2, 3]) await node.createUser(id);
    const alice = await connectAs(node.url, 1);
    for (let i = 0; i < MESSAGES; i++) {
      await request(
        alice,
        'send_message',
        { senderId: 1, receiverId: 2, messageType: 0, message: `${i} ${TEXT}` },
        'new_message',
        (row: { message?: string }) => row.message?.startsWith(`${i} `) === true,
      );
    }
    const before = await rss(node.url);

    // Bob asks for the whole history again and again, and stops reading his TCP socket.
    const bob = await connectAs(node.url, 2);
    const engine = (
      bob as unknown as { io: { engine: { transport: { ws: { _socket: { pause(): void } } } } } }
    ).io.engine;
    engine.transport.ws._socket.pause();
    let disconnected = false;
    bob.on('disconnect', () => (disconnected = true));
    for (let i = 0; i < REQUESTS; i++) {
      bob.emit('get_message', { senderId: 2, receiverId: 1 });
      if (i % 10 === 9) await sleep(50);
    }

    // Meanwhile Carol (and Alice) are served as usual.
    const carol = await connectAs(node.url, 3);
    const latencies: number[] = [];
    let peak = before;
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      await request(carol, 'chat_listing', { userId: 3 });
      await request(alice, 'get_message', { senderId: 1, receiverId: 2, limit: 10 });
      latencies.push(Date.now() - started);
      peak = Math.max(peak, await rss(node.url));
      await sleep(500);
    }
    const refused = await metric(
      node.url,
      /^chat_refusals_total\{reason="socket_outbound_bytes"\} (\S+)/m,
    );
    const closed = await metric(
      node.url,
      /^chat_refusals_total\{reason="disconnected_slow_reader"\} (\S+)/m,
    );
    const grownMiB = (peak - before) / 2 ** 20;
    console.log(
      `stalled reader: ${REQUESTS} whole-history requests (~${((MESSAGES * TEXT.length) / 2 ** 20).toFixed(1)} MiB each): ` +
        `refused ${refused}, closed ${closed}, RSS before ${(before / 2 ** 20).toFixed(0)} MiB, ` +
        `peak +${grownMiB.toFixed(0)} MiB; others' request latency max ${Math.max(...latencies)} ms; ` +
        `node up ${node.exitCode() === null}`,
    );
    expect(node.exitCode()).toBeNull();
    expect(refused).toBeGreaterThan(0);
    expect(closed).toBe(1);
    expect(grownMiB).toBeLessThan(100);
    expect(Math.max(...latencies)).toBeLessThan(2000);
    void disconnected;
    void (carol as TestSocket);
  }, 120_000);
});
