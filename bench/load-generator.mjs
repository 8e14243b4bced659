// Open-loop send_message load: a rate ladder over sender/receiver pairs.
//
// Each rung fixes its schedule in advance: message k is due at t0 + k / rate
// and goes out on sender k % pairs (the server handles one socket's events one
// at a time, so the load is spread evenly). Latency is measured from the due
// time, not from the actual emit, so a generator or server that falls behind
// shows up as latency instead of silently sending less (no coordinated
// omission). A message counts as delivered once BOTH the receiver's socket and
// the sender's own socket got its new_message (the product echoes every
// message to the sender's sockets); its latency is the later of the two.
// A message more than `maxLagMs` overdue when the generator gets to it is
// skipped, not sent; one sent but not delivered `graceMs` after the rung's
// last due time is lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAs, inParallel } from './clients.mjs';
import { summarize } from './stats.mjs';

const SKIPPED = 2;
const SENT = 1;
const TEXT_PADDING = ' bench message about as long as a chat line';

/**
 * Connects `pairs` sender sockets (users 1..pairs) and as many receiver
 * sockets (users pairs+1..2*pairs), all bound with connect_user.
 */
async function connectPairs(url, pairs) {
  const senders = new Array(pairs);
  const receivers = new Array(pairs);
  await inParallel(pairs * 2, 20, async (i) => {
    if (i < pairs) senders[i] = await connectAs(url, i + 1);
    else receivers[i - pairs] = await connectAs(url, i + 1);
  });
  return { senders, receivers };
}

function newRung(tag, rate, seconds, pairs) {
  const total = Math.max(1, Math.round(rate * seconds));
  return {
    tag: `${tag}:`,
    rate,
    seconds,
    total,
    pairs,
    state: new Uint8Array(total),
    // performance.now() at each socket's new_message; 0 = not yet.
    receiverAt: new Float64Array(total),
    senderAt: new Float64Array(total),
    sent: 0,
    skipped: 0,
    delivered: 0,
    exceptions: 0,
    // Of those, "too many requests: the server is busy" (the node-wide bound).
    busy: 0,
    t0: 0,
  };
}

/**
 * Runs the ladder against the server at `url`. `measure()` starts a
 * measurement window of the server process and returns its stop function
 * (see startWindow in server-process.mjs). Stops after two failing rungs in a
 * row, or at once when a socket drops. Returns { warmup, rungs, problems }.
 */
export async function runLadder({
  url,
  pairs,
  rates,
  seconds,
  warmup,
  graceMs = 5_000,
  maxLagMs = 1_000,
  p99LimitMs = 100,
  measure,
  log = () => {},
}) {
  const { senders, receivers } = await connectPairs(url, pairs);
  const sockets = [...senders, ...receivers];
  const problems = [];
  let current = null;

  // Parsing the sequence number back out of the text keeps the client
  // stateless per message; a tag per rung ignores stragglers from earlier rungs.
  const indexOf = (row) => {
    const rung = current;
    const text = row?.message;
    if (!rung || typeof text !== 'string' || !text.startsWith(rung.tag)) return -1;
    const k = parseInt(text.slice(rung.tag.length), 10);
    return k >= 0 && k < rung.total ? k : -1;
  };
  const onReceiver = (row) => {
    const k = indexOf(row);
    if (k < 0 || current.receiverAt[k] !== 0) return;
    current.receiverAt[k] = performance.now();
    if (current.senderAt[k] !== 0) current.delivered++;
  };
  const onSender = (row) => {
    const k = indexOf(row);
    if (k < 0 || current.senderAt[k] !== 0) return;
    current.senderAt[k] = performance.now();
    if (current.receiverAt[k] !== 0) current.delivered++;
  };
  let dropped = 0;
  for (const socket of sockets) {
    socket.on('new_message', senders.includes(socket) ? onSender : onReceiver);
    socket.on('exception', (error) => {
      if (current) current.exceptions++;
      if (current && /the server is busy/.test(String(error?.message))) current.busy++;
      if (problems.length < 10) problems.push(`exception: ${error?.event} ${error?.message}`);
    });
    socket.on('disconnect', (reason) => {
      dropped++;
      if (problems.length < 10) problems.push(`socket disconnected: ${reason}`);
    });
  }
  // One payload object per sender, reused: emit() serializes it at once.
  const payloads = senders.map((_, i) => ({
    senderId: i + 1,
    receiverId: pairs + i + 1,
    message: '',
    messageType: 0,
  }));

  /** Sends the rung's schedule; resolves when its last message is due and handled. */
  const drive = (rung) =>
    new Promise((resolve) => {
      const interval = 1000 / rung.rate;
      let next = 0;
      const tick = () => {
        const now = performance.now();
        while (next < rung.total) {
          const due = rung.t0 + next * interval;
          if (due > now) break;
          if (now - due > maxLagMs) {
            rung.state[next] = SKIPPED;
            rung.skipped++;
          } else {
            const sender = next % pairs;
            const payload = payloads[sender];
            payload.message = rung.tag + next + TEXT_PADDING;
            senders[sender].emit('send_message', payload);
            rung.state[next] = SENT;
            rung.sent++;
          }
          next++;
        }
        if (next < rung.total) setTimeout(tick, Math.max(0, rung.t0 + next * interval - now));
        else resolve();
      };
      tick();
    });

  const runRung = async (tag, rate, rungSeconds) => {
    const rung = newRung(tag, rate, rungSeconds, pairs);
    current = rung;
    rung.t0 = performance.now() + 20;
    const stopWindow = measure();
    await drive(rung);
    const end = rung.t0 + rungSeconds * 1000;
    if (end > performance.now()) await sleep(end - performance.now());
    const usage = stopWindow();
    while (rung.delivered < rung.sent && performance.now() < end + graceMs && dropped === 0) {
      await sleep(20);
    }
    current = null;
    return { ...result(rung, end, p99LimitMs), ...usage };
  };

  try {
    const warm = warmup ? await runRung('w', warmup.rate, warmup.seconds) : null;
    if (warm) log(`  warm-up ${warmup.rate} msg/s: ${describe(warm)}`);
    const rungs = [];
    let failuresInARow = 0;
    for (const [i, rate] of rates.entries()) {
      await sleep(1_000); // let the previous rung's stragglers and GC settle
      const rung = await runRung(`r${i}`, rate, seconds);
      rungs.push(rung);
      log(`  ${rate} msg/s: ${describe(rung)}`);
      if (dropped > 0) break;
      failuresInARow = rung.pass ? 0 : failuresInARow + 1;
      if (failuresInARow === 2) break;
    }
    return { warmup: warm, rungs, problems };
  } finally {
    for (const socket of sockets) {
      socket.off('disconnect'); // our own close is not a dropped socket
      socket.close();
    }
  }
}

function result(rung, end, p99LimitMs) {
  const latencies = [];
  const receiverLatencies = [];
  let deliveredInWindow = 0;
  const interval = 1000 / rung.rate;
  for (let k = 0; k < rung.total; k++) {
    const receiverAt = rung.receiverAt[k];
    const senderAt = rung.senderAt[k];
    if (receiverAt !== 0) receiverLatencies.push(receiverAt - (rung.t0 + k * interval));
    if (receiverAt === 0 || senderAt === 0) continue;
    const doneAt = Math.max(receiverAt, senderAt);
    latencies.push(doneAt - (rung.t0 + k * interval));
    if (doneAt <= end) deliveredInWindow++;
  }
  const latency = summarize(latencies);
  const lost = rung.sent - latencies.length;
  return {
    targetRate: rung.rate,
    seconds: rung.seconds,
    scheduled: rung.total,
    sent: rung.sent,
    skipped: rung.skipped,
    delivered: latencies.length,
    lost,
    exceptions: rung.exceptions,
    busy: rung.busy,
    // Throughput while the rung ran: deliveries completed inside its window.
    deliveredPerSecond: Math.round(deliveredInWindow / rung.seconds),
    latencyMs: latency,
    receiverLatencyMs: summarize(receiverLatencies),
    pass:
      latency.count > 0 &&
      latency.p99 < p99LimitMs &&
      lost === 0 &&
      rung.skipped === 0 &&
      rung.exceptions === 0,
  };
}

function describe(rung) {
  const l = rung.latencyMs;
  return (
    `${rung.deliveredPerSecond} msg/s delivered, p50 ${l.p50} p99 ${l.p99} max ${l.max} ms, ` +
    `lost ${rung.lost}, skipped ${rung.skipped}, server CPU ${rung.serverCpuPercent}% ` +
    `${rung.pass ? 'PASS' : 'FAIL'}`
  );
}
