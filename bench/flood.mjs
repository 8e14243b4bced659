// The flood part (issue 9, "Tests and figures"): what one misbehaving client
// does to a product process running with the default limits, while an
// observer pair exchanges a message every 50 ms.
//   (a) a bound socket flooding send_message unpaced;
//   (b) an unbound socket flooding the same (every event refused);
//   (c) thousands of sockets all claiming one user (the socket cap).
// Each runs on a fresh product process. Targets: server RSS grows by less
// than 150 MB, the process stays up, the observer's p99 stays under 100 ms,
// the flooder is refused or disconnected; (c) ends with at most the cap.
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAs } from './clients.mjs';
import { forkWorker, rssKb, startWindow } from './server-process.mjs';
import { summarize } from './stats.mjs';

const FLOODER_SCRIPT = fileURLToPath(new URL('./flooder.mjs', import.meta.url));
const CLIENTS_SCRIPT = fileURLToPath(new URL('./idle-clients.mjs', import.meta.url));

export const FLOOD_USERS = { observerA: 1, observerB: 2, flooder: 3, flooderTarget: 4, claimed: 5 };
const OBSERVER_INTERVAL_MS = 50;
const RSS_TARGET_MB = 150;
const P99_TARGET_MS = 100;

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

async function healthy(url) {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

/** The server's chat_refusals_total by reason. */
async function refusals(url) {
  const counts = {};
  try {
    const text = await (
      await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })
    ).text();
    for (const [, reason, value] of text.matchAll(
      /^chat_refusals_total\{reason="([a-z_]+)"\} (\d+)$/gm,
    )) {
      if (Number(value) > 0) counts[reason] = Number(value);
    }
  } catch {
    // the server is gone; the report says so elsewhere
  }
  return counts;
}

/**
 * Users A and B exchange a message every 50 ms (alternating) until `stop()`;
 * latency runs from the emit to the receiver's new_message. Messages not
 * received 5 s after the stop are lost.
 */
async function observe(url, stop) {
  const a = await connectAs(url, FLOOD_USERS.observerA);
  const b = await connectAs(url, FLOOD_USERS.observerB);
  const sentAt = new Map();
  const latencies = [];
  let exceptions = 0;
  let dropped = 0;
  for (const [socket, self] of [
    [a, FLOOD_USERS.observerA],
    [b, FLOOD_USERS.observerB],
  ]) {
    socket.on('new_message', (row) => {
      if (row?.receiverId !== self) return;
      const at = sentAt.get(row.message);
      if (at === undefined) return;
      sentAt.delete(row.message);
      latencies.push(performance.now() - at);
    });
    socket.on('exception', () => exceptions++);
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') dropped++; // not our own close at the end
    });
  }
  let sent = 0;
  const started = performance.now();
  while (!stop()) {
    const [from, fromId, toId] =
      sent % 2 === 0
        ? [a, FLOOD_USERS.observerA, FLOOD_USERS.observerB]
        : [b, FLOOD_USERS.observerB, FLOOD_USERS.observerA];
    const message = `observer ${sent}`;
    sentAt.set(message, performance.now());
    from.emit('send_message', { senderId: fromId, receiverId: toId, messageType: 0, message });
    sent++;
    // Paced on the schedule, not on the previous send: a late tick does not shift the rest.
    const next = started + sent * OBSERVER_INTERVAL_MS;
    await sleep(Math.max(0, next - performance.now()));
  }
  const deadline = performance.now() + 5_000;
  while (sentAt.size > 0 && performance.now() < deadline) await sleep(20);
  a.close();
  b.close();
  return {
    sent,
    lost: sentAt.size,
    exceptions,
    disconnects: dropped,
    latencyMs: summarize(latencies),
  };
}

/** One flood scenario, (a) or (b), on a fresh server. */
async function floodScenario({ server, mode, seconds, settleMs, log }) {
  await sleep(settleMs);
  const rssBeforeKb = rssKb(server.pid);
  const stopWindow = startWindow(server.pid);
  let stopped = false;
  const observing = observe(server.url, () => stopped);
  await sleep(1_000); // the observer's first messages before the flood
  const flooder = forkWorker(FLOODER_SCRIPT, `flooder (${mode})`);
  try {
    const done = nextMessage(flooder, 'done');
    flooder.child.send({
      cmd: 'flood',
      url: server.url,
      mode,
      userId: FLOOD_USERS.flooder,
      receiverId: FLOOD_USERS.flooderTarget,
      seconds,
    });
    const { stats } = await done;
    await sleep(1_000); // the observer keeps going a moment after the flood
    stopped = true;
    const observer = await observing;
    const usage = stopWindow();
    await sleep(settleMs);
    const alive = server.running && (await healthy(server.url));
    const rssAfterKb = alive ? rssKb(server.pid) : null;
    const result = {
      mode,
      seconds,
      flooder: stats,
      observer,
      rssBeforeKb,
      rssPeakKb: usage.peakRssKb,
      rssAfterKb,
      serverCpuPercent: usage.serverCpuPercent,
      otherCpuPercent: usage.otherCpuPercent,
      refusals: await refusals(server.url),
      alive,
    };
    result.rssGrowthMb = Math.round((result.rssPeakKb - rssBeforeKb) / 1024);
    result.checks = {
      rss: result.rssGrowthMb < RSS_TARGET_MB,
      alive,
      observerP99:
        observer.latencyMs.p99 !== null &&
        observer.latencyMs.p99 < P99_TARGET_MS &&
        observer.lost === 0,
      flooderStopped: stats.tooMany + stats.otherRefusals > 0 || stats.disconnects > 0,
    };
    log(
      `  ${mode}: flooder sent ${stats.sent}, refused ${stats.tooMany + stats.otherRefusals}, ` +
        `stored ${stats.stored}, disconnected ${stats.disconnects}x; observer p50 ${observer.latencyMs.p50} ` +
        `p99 ${observer.latencyMs.p99} max ${observer.latencyMs.max} ms, lost ${observer.lost}; ` +
        `RSS ${Math.round(rssBeforeKb / 1024)} -> peak ${Math.round(result.rssPeakKb / 1024)} MB; alive ${alive}`,
    );
    return result;
  } finally {
    stopped = true;
    await flooder.stop(5_000);
  }
}

/** (c): `count` sockets bind the same user; how many are still connected at the end. */
async function claimScenario({ server, count, settleMs, log }) {
  const worker = forkWorker(CLIENTS_SCRIPT, 'claiming clients');
  try {
    const connected = nextMessage(worker, 'connected');
    worker.child.send({
      cmd: 'connect',
      url: server.url,
      firstUserId: FLOOD_USERS.claimed,
      sameUser: true,
      count,
      concurrency: 50,
    });
    const result = await connected;
    await sleep(Math.min(settleMs, 2_000));
    const closed = nextMessage(worker, 'closed');
    worker.child.send({ cmd: 'close' });
    const { stillConnected } = await closed;
    const alive = server.running && (await healthy(server.url));
    log(
      `  ${count} sockets claiming one user: ${result.bound} bound, ${stillConnected} still connected`,
    );
    return {
      requested: count,
      bound: result.bound,
      failed: result.failed,
      stillConnected,
      refusals: await refusals(server.url),
      alive,
    };
  } finally {
    await worker.stop(5_000);
  }
}

/**
 * Runs (a), (b) and (c), each on a fresh server from `startFresh()` (a
 * product with the default limits), stopping it afterwards.
 */
export async function runFlood({
  startFresh,
  seconds,
  claimSockets,
  settleMs,
  cap,
  log = () => {},
}) {
  const result = { seconds, cap, scenarios: [], claim: null };
  for (const mode of ['send', 'unbound']) {
    log(
      `flood (${mode === 'send' ? 'a: bound socket, send_message' : 'b: unbound socket'}), ${seconds} s`,
    );
    const server = await startFresh(`product (flood ${mode})`);
    try {
      result.scenarios.push(await floodScenario({ server, mode, seconds, settleMs, log }));
    } finally {
      await server.stop();
    }
  }
  log(`flood (c): ${claimSockets} sockets claiming one user`);
  const server = await startFresh('product (socket cap)');
  try {
    result.claim = await claimScenario({ server, count: claimSockets, settleMs, log });
    result.claim.pass = result.claim.alive && result.claim.stillConnected <= cap;
  } finally {
    await server.stop();
  }
  return result;
}
