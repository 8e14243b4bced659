// Idle-connection memory: what a fresh server process holds per connected,
// bound, silent socket.
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { forkWorker, openFiles, rssKb } from './server-process.mjs';

const CLIENT_SCRIPT = fileURLToPath(new URL('./idle-clients.mjs', import.meta.url));
// File descriptors a server needs besides its sockets (database pool, logs, epoll...).
const SERVER_FD_RESERVE = 100;

function nextMessage(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type !== type) return;
      worker.child.off('message', onMessage);
      resolve(message);
    };
    worker.child.on('message', onMessage);
    worker.exited.then(({ code }) =>
      reject(new Error(`${worker.name} exited (code ${code}) before ${type}`)),
    );
  });
}

/**
 * `server` was just started and has users 1..`requested`. Binds up to
 * `requested` websocket clients (fewer if the server's open-file limit cannot
 * take them all: reported as `cappedBy`), spread over child processes, then
 * compares the server's RSS before and after, each read after `settleMs`.
 */
export async function runIdleMemory({ server, requested, settleMs, log = () => {} }) {
  const serverFiles = openFiles(server.pid);
  const serverRoom = serverFiles.limit - serverFiles.open - SERVER_FD_RESERVE;
  const target = Math.min(requested, serverRoom);
  const cappedBy =
    target < requested
      ? `server's open-file limit (ulimit -n ${serverFiles.limit}: one descriptor per socket plus its own)`
      : null;
  const ownLimit = openFiles(process.pid).limit;
  const perWorker = Math.min(10_000, ownLimit - 200);
  const workerCount = Math.ceil(target / perWorker);

  await sleep(settleMs);
  const rssBeforeKb = rssKb(server.pid);
  const started = performance.now();
  const workers = [];
  try {
    const results = await Promise.all(
      Array.from({ length: workerCount }, async (_, w) => {
        const worker = forkWorker(CLIENT_SCRIPT, `idle clients ${w + 1}`);
        workers.push(worker);
        const first = w * perWorker;
        const count = Math.min(perWorker, target - first);
        worker.child.on('message', (m) => {
          if (m.type === 'progress') log(`  worker ${w + 1}: ${m.bound}/${count} bound`);
        });
        const connected = nextMessage(worker, 'connected');
        worker.child.send({
          cmd: 'connect',
          url: server.url,
          firstUserId: first + 1,
          count,
          concurrency: 100,
        });
        return connected;
      }),
    );
    const connectSeconds = (performance.now() - started) / 1000;
    const bound = results.reduce((sum, r) => sum + r.bound, 0);
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    await sleep(settleMs);
    const rssAfterKb = rssKb(server.pid);
    const closed = await Promise.all(
      workers.map((worker) => {
        const answer = nextMessage(worker, 'closed');
        worker.child.send({ cmd: 'close' });
        return answer;
      }),
    );
    const stillConnected = closed.reduce((sum, r) => sum + r.stillConnected, 0);
    return {
      requested,
      target,
      cappedBy,
      bound,
      failed,
      errors: results.flatMap((r) => r.errors).slice(0, 5),
      droppedWhileIdle: bound - stillConnected,
      clientProcesses: workerCount,
      connectSeconds: Math.round(connectSeconds * 10) / 10,
      rssBeforeKb,
      rssAfterKb,
      kbPerSocket: bound ? Math.round(((rssAfterKb - rssBeforeKb) / bound) * 10) / 10 : null,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop(5_000)));
  }
}
