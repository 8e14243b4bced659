// SIGTERM while messages are flowing: each message is either stored and
// delivered, or refused with an error (or never taken); none is half-done, and
// the process exits 0 within SHUTDOWN_TIMEOUT_MS.
import pg from 'pg';
import {
  sharedServicesAvailable,
  type ServerProcess,
  startCluster,
  type Cluster,
} from './support/server-process.js';
import { connectAs, sleep, type TestSocket } from './support/sockets.js';

const SHUTDOWN_TIMEOUT_MS = 8000;
const SENDERS = [11, 12, 13, 14, 15];
const RECEIVER_OFFSET = 10;

interface Outcome {
  text: string;
  senderId: number;
  stored?: { id: number };
  refused?: { status: string; message: string };
}

const describeWithServices = (await sharedServicesAvailable()) ? describe : describe.skip;

describeWithServices('graceful shutdown (SIGTERM)', () => {
  let cluster: Cluster;
  let draining: ServerProcess;
  let staying: ServerProcess;

  beforeAll(async () => {
    cluster = await startCluster(2, { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    [draining, staying] = cluster.nodes;
    for (const id of SENDERS) {
      await draining.createUser(id);
      await draining.createUser(id + RECEIVER_OFFSET);
    }
  }, 90_000);

  afterAll(() => cluster?.stop(), 30_000);

  it('finishes what it took, refuses the rest, flushes, closes transports and exits 0 in time', async () => {
    // Senders on the node that will stop; their receivers on the node that stays.
    const senders = new Map<number, TestSocket>();
    const disconnectReasons: string[] = [];
    for (const id of SENDERS) {
      const socket = await connectAs(draining.url, id);
      socket.on('disconnect', (reason: string) => disconnectReasons.push(reason));
      senders.set(id, socket);
    }
    const received = new Map<number, Array<{ id: number; message: string }>>();
    for (const id of SENDERS) {
      const receiver = await connectAs(staying.url, id + RECEIVER_OFFSET);
      const rows: Array<{ id: number; message: string }> = [];
      receiver.on('new_message', (row: { id: number; message: string }) => rows.push(row));
      received.set(id + RECEIVER_OFFSET, rows);
    }

    // A steady stream (one message per sender every 10 ms) that SIGTERM interrupts.
    const outcomes: Outcome[] = [];
    let sequence = 0;
    const sendRound = () => {
      sequence++;
      for (const [senderId, socket] of senders) {
        const outcome: Outcome = { text: `m-${senderId}-${sequence}`, senderId };
        outcomes.push(outcome);
        socket.emit(
          'send_message',
          {
            senderId,
            receiverId: senderId + RECEIVER_OFFSET,
            message: outcome.text,
            messageType: 0,
          },
          (answer: { id?: number; status?: string; message?: string }) => {
            if (answer.status === 'error') outcome.refused = answer as Outcome['refused'];
            else outcome.stored = answer as Outcome['stored'];
          },
        );
      }
    };
    const stream = setInterval(sendRound, 10);
    await sleep(400);
    const signalledAt = Date.now();
    draining.kill('SIGTERM');
    const code = await draining.exited;
    const tookMs = Date.now() - signalledAt;
    clearInterval(stream);

    expect({ code, output: code === 0 ? '' : draining.output() }).toEqual({ code: 0, output: '' });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // A dropped transport, not a server-side disconnect: clients reconnect (elsewhere).
    expect(disconnectReasons).toHaveLength(SENDERS.length);
    for (const reason of disconnectReasons) expect(reason).toBe('transport close');

    await sleep(500); // deliveries published just before the exit reach the other node
    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    try {
      const rows = (await client.query('SELECT id, message FROM messages')).rows as Array<{
        id: number;
        message: string;
      }>;
      const storedByText = new Map(rows.map((row) => [row.message, Number(row.id)]));
      const stored = outcomes.filter((o) => o.stored);
      const refused = outcomes.filter((o) => o.refused);
      const unanswered = outcomes.filter((o) => !o.stored && !o.refused);
      // SIGTERM came mid-stream.
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.length).toBeLessThan(outcomes.length);
      // Everything in the database was acknowledged as stored (no ack lost in the close)...
      expect(rows.length).toBe(stored.length);
      for (const outcome of stored) expect(storedByText.get(outcome.text)).toBe(outcome.stored!.id);
      // ...and everything refused or never taken is absent.
      for (const outcome of [...refused, ...unanswered]) {
        expect(storedByText.has(outcome.text)).toBe(false);
      }
      for (const outcome of refused) expect(outcome.refused!.message).toMatch(/shutting down/);
      // Every stored message reached its receiver on the other node, once.
      for (const senderId of SENDERS) {
        const got = received.get(senderId + RECEIVER_OFFSET)!.map((row) => row.id);
        const expected = stored.filter((o) => o.senderId === senderId).map((o) => o.stored!.id);
        expect(got.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      }
      // No half-done write: each conversation points at its newest stored message.
      const conversations = (
        await client.query(
          `SELECT c.last_message_id, max(m.id) AS newest
           FROM chat_constants c JOIN messages m ON m.chat_constant_id = c.id
           GROUP BY c.id, c.last_message_id`,
        )
      ).rows as Array<{ last_message_id: string; newest: string }>;
      for (const row of conversations) expect(Number(row.last_message_id)).toBe(Number(row.newest));
    } finally {
      await client.end();
    }
  }, 60_000);
});
