// Socket.IO client helpers shared by the load generator, the idle-socket
// clients and the read benchmarks. Websocket transport only: the bench
// measures the server, not long-polling, and it keeps the client lean.
import { io } from 'socket.io-client';

/** Connects one socket to `url` (no reconnection: a dropped socket is a finding, not noise). */
export function connect(url, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
    });
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      socket.close();
      reject(new Error(`cannot connect to ${url}: ${error.message}`));
    });
  });
}

/**
 * The next `event` on `socket`; rejects on an `exception` answer (the
 * contract's error event), a disconnect, or after `timeoutMs`.
 */
export function waitFor(socket, event, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('exception', onException);
      socket.off('disconnect', onDisconnect);
    };
    const onEvent = (payload) => {
      done();
      resolve(payload);
    };
    const onException = (error) => {
      done();
      reject(new Error(`server refused ${error?.event}: ${error?.message}`));
    };
    const onDisconnect = (reason) => {
      done();
      reject(new Error(`socket disconnected while waiting for ${event}: ${reason}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(event, onEvent);
    socket.on('exception', onException);
    socket.on('disconnect', onDisconnect);
  });
}

/** A socket bound to `userId` with connect_user (answered by connect_listener). */
export async function connectAs(url, userId) {
  const socket = await connect(url);
  try {
    const answered = waitFor(socket, 'connect_listener');
    socket.emit('connect_user', { userId });
    await answered;
    return socket;
  } catch (error) {
    socket.close();
    throw error;
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` running at once. */
export async function inParallel(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
