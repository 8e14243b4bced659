// deploy/nginx.conf in front of two nodes, as docker-compose.yml runs it (the
// hosts chat-1/chat-2 rewritten to local ports): WebSocket upgrade, polling
// sessions that stick to one node, and delivery between clients that the
// balancer put on different nodes. Needs nginx on PATH; skipped without it, except
// under CI=true (.ci/run installs Debian's nginx-light), where that fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { request } from './support/protocol.js';
import {
  freePort,
  sharedServicesAvailable,
  type ServerProcess,
  startCluster,
  type Cluster,
} from './support/server-process.js';
import { sleep, waitFor, type TestSocket } from './support/sockets.js';

const hasNginx = spawnSync('nginx', ['-v']).status === 0;
if (!hasNginx) {
  // .ci/run installs nginx-light: a spec that skips in CI protects nothing.
  if (process.env.CI === 'true' && !process.env.SKIP_PROCESS_SPECS) {
    throw new Error('the load balancer test needs nginx on PATH (.ci/run installs nginx-light)');
  }
  console.warn('SKIPPED: load balancer test needs nginx on PATH');
}
const describeWithNginx = hasNginx && (await sharedServicesAvailable()) ? describe : describe.skip;

describeWithNginx('deploy/nginx.conf in front of two nodes', () => {
  let cluster: Cluster;
  let nodes: ServerProcess[];
  let nginx: ChildProcess;
  let balancerUrl: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    cluster = await startCluster(2);
    nodes = cluster.nodes;
    for (const id of [1, 2]) await nodes[0].createUser(id);

    const port = await freePort();
    const prefix = mkdtempSync(join(tmpdir(), 'nginx-'));
    mkdirSync(join(prefix, 'logs'));
    const config = readFileSync(join(import.meta.dirname, '..', 'deploy', 'nginx.conf'), 'utf8')
      .replace('listen 80;', `listen 127.0.0.1:${port};`)
      .replace('server chat-1:8887', `server ${new URL(nodes[0].url).host}`)
      .replace('server chat-2:8887', `server ${new URL(nodes[1].url).host}`)
      .replace(
        'events {',
        `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {`,
      )
      .replace('http {', `http {\n  access_log off;`);
    writeFileSync(join(prefix, 'nginx.conf'), config);
    nginx = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    balancerUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      try {
        if ((await fetch(`${balancerUrl}/health`)).ok) break;
      } catch {
        // starting
      }
      await sleep(100);
    }
  }, 90_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    nginx?.kill('SIGTERM');
    await cluster?.stop();
  }, 30_000);

  /** A client whose connections come from `sourceAddress` (any 127.x.y.z is this machine). */
  async function connectFrom(
    sourceAddress: string,
    userId: number,
    transport: 'polling' | 'websocket',
  ): Promise<TestSocket> {
    const socket = io(balancerUrl, {
      transports: [transport],
      forceNew: true,
      reconnection: false,
      agent: new Agent({ localAddress: sourceAddress, keepAlive: true }),
    } as unknown as Parameters<typeof io>[1]) as unknown as TestSocket;
    sockets.push(socket);
    await waitFor(socket, 'connect', 5000);
    const bound = waitFor(socket, 'connect_listener');
    socket.emit('connect_user', { userId });
    await bound;
    return socket;
  }

  /** Which node a client's requests reach: the socket count each node reports. */
  async function socketsPerNode(): Promise<number[]> {
    return Promise.all(
      nodes.map(async (node) => {
        const text = await (await fetch(`${node.url}/metrics`)).text();
        return Number(/^chat_connected_sockets (\d+)/m.exec(text)?.[1] ?? NaN);
      }),
    );
  }

  it('keeps polling sessions on one node and delivers between clients on different nodes', async () => {
    // Client addresses until the hash has put clients on both nodes.
    const clients: TestSocket[] = [];
    const alices: TestSocket[] = [];
    const bobs: TestSocket[] = [];
    for (let last = 2; last < 40; last++) {
      const userId = 1 + (last % 2);
      const client = await connectFrom(
        `127.0.0.${last}`,
        userId,
        last % 3 ? 'polling' : 'websocket',
      );
      clients.push(client);
      (userId === 1 ? alices : bobs).push(client);
      const counts = await socketsPerNode();
      if (clients.length >= 4 && counts.every((count) => count > 0)) break;
    }
    const counts = await socketsPerNode();
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts[0] + counts[1]).toBe(clients.length);

    // Every client of user 2 gets user 1's message, whichever node each landed on;
    // a polling session routed to the wrong node would have failed with "Session ID unknown".
    const [sender, ...otherAlices] = alices;
    const text = `through nginx ${randomUUID()}`;
    const receivers = [...otherAlices, ...bobs];
    const arrivals = receivers.map((s) =>
      waitFor(s, 'new_message', { match: (row: { message?: string }) => row.message === text }),
    );
    const row = await request(
      sender,
      'send_message',
      { senderId: 1, receiverId: 2, message: text, messageType: 0 },
      'new_message',
      (r: { message?: string }) => r.message === text,
    );
    for (const arrived of await Promise.all(arrivals)) expect(arrived).toEqual(row);
  }, 60_000);
});
