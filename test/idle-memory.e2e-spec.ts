// What an idle, bound socket keeps alive on the server (see LegacyIoAdapter):
// not the HTTP request it connected with, and its handlers still work.
import { jest } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { io as ioV4 } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { PresenceService } from '../src/presence/presence.service.js';
import { SocketServer } from '../src/realtime/socket-server.js';
import { eventually } from './support/protocol.js';
import { connectAs, emitWithAck, waitFor, type TestSocket } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ALICE = 1;
const BOB = 2;

/** Weak references to every HTTP request (polls and upgrades) the server receives from now on. */
function watchRequests(server: ReturnType<typeof useTestServer>): {
  refs: WeakRef<IncomingMessage>[];
  stop(): void;
} {
  const http = server.app.getHttpServer() as import('node:http').Server;
  const refs: WeakRef<IncomingMessage>[] = [];
  const onRequest = (request: IncomingMessage) => refs.push(new WeakRef(request));
  http.prependListener('request', onRequest);
  http.prependListener('upgrade', onRequest);
  return {
    refs,
    stop: () => {
      http.off('request', onRequest);
      http.off('upgrade', onRequest);
    },
  };
}

async function collected(refs: WeakRef<object>[]): Promise<number> {
  // Twice, with a turn in between: some are released by a callback of the first pass.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return refs.filter((ref) => ref.deref() === undefined).length;
}

describe('idle sockets', () => {
  const server = useTestServer({ users: [[ALICE], [BOB]] });

  const serverSocketOf = (client: TestSocket) =>
    server.app
      .get(SocketServer)
      .localSockets()
      .find((socket) => socket.id === client.id);

  const cases: Array<{ name: string; open: () => TestSocket }> = [
    {
      name: 'v4 websocket',
      open: () =>
        ioV4(server.url, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        }) as never,
    },
    {
      name: 'v2 websocket',
      open: () =>
        ioV2(server.url, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        }) as never,
    },
    {
      name: 'v4 polling upgraded to websocket',
      open: () => ioV4(server.url, { forceNew: true, reconnection: false }) as never,
    },
    {
      name: 'v2 polling upgraded to websocket',
      open: () => ioV2(server.url, { forceNew: true, reconnection: false }) as never,
    },
  ];

  it.each(cases)('$name: a bound socket keeps none of its HTTP requests', async ({ open }) => {
    const watch = watchRequests(server);
    const client = open();
    try {
      await waitFor(client, 'connect', 5000);
      const answer = waitFor(client, 'connect_listener');
      client.emit('connect_user', { userId: ALICE });
      await answer;
      await eventually(async () => {
        expect(serverSocketOf(client)?.conn.transport.name).toBe('websocket');
      });
      watch.stop();
      expect(watch.refs.length).toBeGreaterThan(0);
      expect(await collected(watch.refs)).toBe(watch.refs.length);

      // The handshake was built before the request went, and the socket still works.
      const handshake = serverSocketOf(client)!.handshake;
      expect(handshake.headers.host).toBe(`127.0.0.1:${server.port}`);
      expect(handshake.address).toMatch(/127\.0\.0\.1/);
      expect(handshake.query.EIO).toMatch(/^[34]$/);
      const listing = waitFor(client, 'chat_message');
      client.emit('chat_listing', { userId: ALICE });
      await expect(listing).resolves.toBeDefined();
    } finally {
      watch.stop();
      client.close();
    }
  });

  it('handlers are shared by sockets but each runs with its own socket', async () => {
    const alice = await connectAs(server.url, ALICE);
    const bob = await connectAs(server.url, BOB, { version: 'v2', transport: 'polling' });
    const [a, b] = await Promise.all([
      emitWithAck(alice, 'connect_user', { userId: ALICE }),
      emitWithAck(bob, 'connect_user', { userId: BOB }),
    ]);
    expect(a).toMatchObject({ userId: ALICE });
    expect(b).toMatchObject({ userId: BOB });
    expect(serverSocketOf(alice)?.data.userId).toBe(ALICE);
    expect(serverSocketOf(bob)?.data.userId).toBe(BOB);
  });

  it('a gateway still hears the disconnect of each socket, once', async () => {
    const unbound = jest.spyOn(server.app.get(PresenceService), 'unbound');
    try {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      const aliceId = alice.id;
      alice.close();
      await eventually(async () => {
        expect(unbound).toHaveBeenCalledTimes(1);
      });
      expect(unbound.mock.calls[0][0].id).toBe(aliceId);
      bob.close();
      await eventually(async () => {
        expect(unbound).toHaveBeenCalledTimes(2);
      });
      expect(unbound.mock.calls[1][0].data.userId).toBe(BOB);
    } finally {
      unbound.mockRestore();
    }
  });
});
