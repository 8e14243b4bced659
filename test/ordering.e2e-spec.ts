// Per-socket ordering and races that only show when a client does not wait for
// answers (contract: "Nothing acknowledged is ever lost"; a socket acts as one user).
import { jest } from '@jest/globals';
import { PushPlanner } from '../src/push/push-planner.js';
import { SocketServer } from '../src/realtime/socket-server.js';
import { collect, connect, connectAs, waitFor } from './support/sockets.js';
import { eventually, expectErrorShape } from './support/protocol.js';
import { useTestServer } from './support/suite.js';

describe('events of one socket', () => {
  const server = useTestServer({
    users: [
      [1, 'Alice'],
      [2, 'Bob'],
      [3, 'Carol'],
    ],
  });

  it('are stored and delivered in the order they were sent', async () => {
    const alice = await connectAs(server.url, 1);
    const bob = await connectAs(server.url, 2);
    const received = collect<{ message: string }>(bob, 'new_message');
    const texts = Array.from({ length: 60 }, (_, i) => `m${i}`);
    for (const message of texts) {
      alice.emit('send_message', { senderId: 1, receiverId: 2, messageType: 0, message });
    }
    const deadline = Date.now() + 10_000;
    while (received.length < texts.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(received.map((row) => row.message)).toEqual(texts);
    const stored = await server.query<{ message: string }>(
      'SELECT message FROM messages ORDER BY id',
    );
    expect(stored.map((row) => row.message)).toEqual(texts);
  });

  // A phone flushing its outbox: its sends queue behind the batch in flight and go together in
  // the next (SocketTurns); any other event still waits for every earlier send.
  it.each([
    ['v2', 'polling'],
    ['v4', 'websocket'],
  ] as const)(
    "%s %s: a socket's sends overtake nothing but join one batch while the one before is held",
    async (version, transport) => {
      const planner = server.app.get(PushPlanner);
      const plan = planner.plan.bind(planner);
      const batches: string[][] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const spy = jest.spyOn(planner, 'plan').mockImplementation(async (batch) => {
        batches.push(batch.map((message) => (message as unknown as { text: string }).text));
        if (batches.length === 1) await gate;
        return plan(batch);
      });
      try {
        const alice = await connectAs(server.url, 1, { version, transport });
        const echoes = collect<{ message: string }>(alice, 'new_message');
        const history = waitFor<Array<{ message: string }>>(alice, 'get_data_message');
        const texts = Array.from({ length: 20 }, (_, i) => `m${i}`);
        const emit = (i: number) => {
          if (i === 15) alice.emit('get_message', { senderId: 1, receiverId: 2 });
          const receiverId = i % 2 === 0 ? 2 : 3;
          alice.emit('send_message', {
            senderId: 1,
            receiverId,
            messageType: 0,
            message: texts[i],
          });
        };
        emit(0);
        await eventually(async () => expect(batches.length).toBe(1));
        for (let i = 1; i < texts.length; i++) emit(i);
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Held: the first batch has m0; m1..m14 wait in the queue, get_message and the rest behind them.
        expect(batches).toEqual([['m0']]);
        release();
        await eventually(async () => expect(echoes).toHaveLength(texts.length), 10_000);
        expect(batches[1]).toEqual(texts.slice(1, 15));
        // get_message ran after m0..m14 were stored, and before m15..m19 were sent.
        expect((await history).map((row) => row.message)).toEqual(
          texts.slice(0, 15).filter((_, i) => i % 2 === 0),
        );
        expect(echoes.map((row) => row.message)).toEqual(texts);
        const stored = await server.query<{ message: string }>(
          'SELECT message FROM messages ORDER BY id',
        );
        expect(stored.map((row) => row.message)).toEqual(texts);
      } finally {
        release();
        spy.mockRestore();
      }
    },
  );

  // OutboundBatching: a stored batch's packets for one socket leave in one system call.
  it("v4 websocket: a batch's messages to one receiver are written to its TCP socket at once, in order", async () => {
    const planner = server.app.get(PushPlanner);
    const plan = planner.plan.bind(planner);
    let planned = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = jest.spyOn(planner, 'plan').mockImplementation(async (batch) => {
      if (++planned === 1) await gate;
      return plan(batch);
    });
    try {
      const alice = await connectAs(server.url, 1, { version: 'v4', transport: 'websocket' });
      const bob = await connectAs(server.url, 2, { version: 'v4', transport: 'websocket' });
      const received = collect<{ message: string }>(bob, 'new_message');
      // Bob's TCP socket on the server: count the writes that reach it.
      const [bobOnServer] = server.app.get(SocketServer).localSocketsOf(2);
      const tcp = (
        bobOnServer.conn.transport as unknown as {
          socket: { _socket: TcpWrites };
        }
      ).socket._socket;
      const writes: number[] = [];
      const writev = tcp._writev.bind(tcp);
      const write = tcp._write.bind(tcp);
      tcp._writev = (chunks, callback) => {
        writes.push(chunks.length);
        writev(chunks, callback);
      };
      tcp._write = (chunk, encoding, callback) => {
        writes.push(1);
        write(chunk, encoding, callback);
      };
      const texts = Array.from({ length: 15 }, (_, i) => `m${i}`);
      const send = (message: string) =>
        alice.emit('send_message', { senderId: 1, receiverId: 2, messageType: 0, message });
      send(texts[0]);
      await eventually(async () => expect(planned).toBe(1));
      // m1..m14 queue behind the held batch and are stored together.
      for (const text of texts.slice(1)) send(text);
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await eventually(async () => expect(received).toHaveLength(texts.length), 10_000);
      expect(planned).toBe(2);
      expect(received.map((row) => row.message)).toEqual(texts);
      // m0's frame (a header and a payload), then the fourteen of the second batch in one
      // writev; without batching, every frame has a write of its own.
      expect(writes).toEqual([2, 28]);
    } finally {
      release();
      spy.mockRestore();
    }
  });

  it('cannot bind two users, even when both connect_user are sent at once', async () => {
    const socket = await connect(server.url);
    const answers = collect(socket, 'connect_listener');
    const refused = waitFor(socket, 'exception');
    socket.emit('connect_user', { userId: 1 });
    socket.emit('connect_user', { userId: 2 });
    expectErrorShape(await refused, 'connect_user');
    expect(answers).toEqual([{ success_message: 'connected successfully', userId: 1 }]);

    const carol = await connectAs(server.url, 3);
    const forBob = collect(socket, 'new_message');
    const bob = await connectAs(server.url, 2);
    const bobGot = waitFor(bob, 'new_message');
    carol.emit('send_message', { senderId: 3, receiverId: 2, messageType: 0, message: 'to Bob' });
    await bobGot;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(forBob).toEqual([]);
  });
});

describe('payload size', () => {
  const server = useTestServer({
    users: [
      [1, 'Alice'],
      [2, 'Bob'],
    ],
  });

  it('refuses a payload with hundreds of fields without stalling other users', async () => {
    const alice = await connectAs(server.url, 1);
    const bob = await connectAs(server.url, 2);
    const wide: Record<string, unknown> = {
      senderId: 1,
      receiverId: 2,
      messageType: 0,
      message: 'x',
    };
    for (let i = 0; i < 200_000; i++) wide[`k${i}`] = i;
    const refused = waitFor(alice, 'exception', 10_000);
    alice.emit('send_message', JSON.stringify(wide));
    const error = await refused;
    expectErrorShape(error, 'send_message');
    expect(error.message).toMatch(/too many fields/);
    const got = waitFor(alice, 'new_message');
    bob.emit('send_message', { senderId: 2, receiverId: 1, messageType: 0, message: 'still here' });
    expect((await got).message).toBe('still here');
    expect(await server.query('SELECT message FROM messages')).toEqual([{ message: 'still here' }]);
  });
});

/** The parts of a net.Socket that Node's stream machinery calls to write. */
interface TcpWrites {
  _writev(chunks: Array<{ chunk: unknown }>, callback: (error?: Error | null) => void): void;
  _write(chunk: unknown, encoding: string, callback: (error?: Error | null) => void): void;
}
