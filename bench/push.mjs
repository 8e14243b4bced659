// Push notifications (issue 12): messages to receivers with no socket, each
// queued by the send statement and POSTed by the product's worker to a local
// webhook receiver in this process (answering 200 at once). Reports pushes/s
// from the first send to the last push received, the send-to-push latency,
// and duplicates (a delivery id received twice).
import { createServer } from 'node:http';
import { connectAs } from './clients.mjs';
import { summarize } from './stats.mjs';

/** A webhook receiver on a free port of 127.0.0.1: every request's delivery id and arrival time. */
export async function startWebhookReceiver() {
  const received = [];
  let onReceived = () => {};
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({
        deliveryId: req.headers['x-chat-delivery'],
        messageId: body.message?.id,
        at: performance.now(),
      });
      res.writeHead(200).end();
      onReceived();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/push`,
    received,
    /** Resolves once `count` pushes arrived, or after `timeoutMs` (then with what came). */
    until(count, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        onReceived = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        };
        onReceived();
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * `messages` sends from `senders` sockets (users senderIds) to receivers that
 * have no socket (receiverIds), at most `window` sends unanswered per sender.
 */
export async function runPushBench({
  url,
  receiver,
  senderIds,
  receiverIds,
  messages,
  window,
  log,
}) {
  receiver.received.length = 0;
  const sockets = await Promise.all(senderIds.map((id) => connectAs(url, id)));
  const sentAt = new Map();
  const started = performance.now();
  let next = 0;
  let refused = 0;
  await Promise.all(
    sockets.map(async (socket, index) => {
      const senderId = senderIds[index];
      const receiverId = receiverIds[index];
      /** text -> resolve, in send order. */
      const pending = new Map();
      socket.on('new_message', (row) => {
        const resolve = pending.get(row?.message);
        if (!resolve) return;
        pending.delete(row.message);
        sentAt.set(row.id, performance.now());
        resolve();
      });
      // A refused send (it should not happen): counted, and its slot freed.
      socket.on('exception', () => {
        refused++;
        const [text, resolve] = pending.entries().next().value ?? [];
        if (text === undefined) return;
        pending.delete(text);
        resolve();
      });
      const inFlight = new Set();
      while (next < messages) {
        const text = `push ${next++}`;
        const answered = new Promise((resolve) => pending.set(text, resolve));
        socket.emit('send_message', { senderId, receiverId, messageType: 0, message: text });
        inFlight.add(answered);
        answered.then(() => inFlight.delete(answered));
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
  const sentSeconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.close();
  await receiver.until(messages, 60_000);
  const last = receiver.received.reduce((max, r) => Math.max(max, r.at), started);
  const ids = new Set(receiver.received.map((r) => r.deliveryId));
  const latencies = receiver.received
    .filter((r) => sentAt.has(r.messageId))
    .map((r) => r.at - sentAt.get(r.messageId));
  const result = {
    messages,
    refused,
    senders: senderIds.length,
    pushes: ids.size,
    duplicates: receiver.received.length - ids.size,
    missing: messages - ids.size,
    sendsPerSecond: Math.round(messages / sentSeconds),
    pushesPerSecond: Math.round(ids.size / ((last - started) / 1000)),
    latencyMs: summarize(latencies),
  };
  log(
    `push: ${result.pushes}/${messages} pushes, ${result.pushesPerSecond} pushes/s, ` +
      `duplicates ${result.duplicates}, p99 ${result.latencyMs.p99} ms`,
  );
  return result;
}
