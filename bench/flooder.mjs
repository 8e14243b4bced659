// Child process of the flood part: one misbehaving client, in a process of
// its own so that its CPU does not delay the observer pair's timing.
// IPC: {cmd:'flood', url, mode:'send'|'unbound', userId, receiverId, seconds}
// -> {type:'done', stats}, then exit.
//
// mode 'send': bound with connect_user, emits valid send_message unpaced.
// mode 'unbound': never binds, emits the same send_message (each one refused).
// Unpaced: batches of 500 emits, a turn of the event loop in between, pausing
// while over a megabyte waits in the client (so the flood runs as fast as the
// server reads, without the client's own memory growing). When the server
// closes the socket, the flooder comes back after a second (socket.io-client's
// default reconnection delay) and floods again, until the time is up.
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, connectAs } from './clients.mjs';

const CLIENT_BUFFER_BYTES = 1 << 20;
const RECONNECT_DELAY_MS = 1_000;

async function floodOnce(socket, payload, end, stats) {
  const engine = socket.io.engine;
  socket.on('exception', (error) => {
    if (/too many requests/.test(String(error?.message))) stats.tooMany++;
    else stats.otherRefusals++;
  });
  // The sender's own copy of each message stored.
  socket.on('new_message', () => stats.stored++);
  while (socket.connected && Date.now() < end) {
    const buffered = (engine.transport?.ws?.bufferedAmount ?? 0) + engine.writeBuffer.length * 100;
    if (buffered < CLIENT_BUFFER_BYTES) {
      for (let i = 0; i < 500; i++) socket.emit('send_message', payload);
      stats.sent += 500;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return socket.connected;
}

process.on('message', async ({ cmd, url, mode, userId, receiverId, seconds }) => {
  if (cmd !== 'flood') return;
  const stats = {
    mode,
    sent: 0,
    tooMany: 0,
    otherRefusals: 0,
    stored: 0,
    connections: 0,
    disconnects: 0,
    firstDisconnectMs: null,
    connectErrors: 0,
  };
  const started = Date.now();
  const end = started + seconds * 1000;
  const payload = { senderId: userId, receiverId, messageType: 0, message: 'flood' };
  while (Date.now() < end) {
    let socket;
    try {
      socket = mode === 'send' ? await connectAs(url, userId) : await connect(url);
    } catch {
      stats.connectErrors++;
      await sleep(RECONNECT_DELAY_MS);
      continue;
    }
    stats.connections++;
    const stillConnected = await floodOnce(socket, payload, end, stats);
    if (!stillConnected) {
      stats.disconnects++;
      stats.firstDisconnectMs ??= Date.now() - started;
    }
    socket.close();
    if (!stillConnected && Date.now() < end) await sleep(RECONNECT_DELAY_MS);
  }
  // Answers still on their way count too.
  await sleep(1_000);
  process.send({ type: 'done', stats }, () => process.exit(0));
});
