import { io as ioV4, type Socket as V4Socket } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';

export type ClientVersion = 'v4' | 'v2';
export type Transport = 'websocket' | 'polling';

/** The subset of a Socket.IO client the tests use; v2 and v4 clients both fit it. */
export interface TestSocket {
  id: string;
  connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener?: (...args: any[]) => void): unknown;
  emit(event: string, ...args: any[]): unknown;
  close(): unknown;
}

export interface ConnectOptions {
  version?: ClientVersion;
  transport?: Transport;
  /** Handshake `auth` (v4 clients only; v2 clients cannot send it). */
  auth?: Record<string, unknown>;
  /** Handshake query parameters. */
  query?: Record<string, string>;
  /** Handshake HTTP headers (Node clients send them on polling and websocket). */
  headers?: Record<string, string>;
}

const openSockets = new Set<TestSocket>();
/** v2 polling sockets send their close packet over HTTP after close(): see closeAllSockets. */
const v2PollingSockets = new WeakSet<TestSocket>();

/** Opens a raw socket (not bound to a user) and waits until it is connected. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const transports = [options.transport ?? 'websocket'];
  const handshake = { query: options.query, extraHeaders: options.headers };
  const socket: TestSocket =
    options.version === 'v2'
      ? (ioV2(url, {
          transports,
          forceNew: true,
          reconnection: false,
          ...handshake,
        }) as unknown as TestSocket)
      : (ioV4(url, {
          transports,
          forceNew: true,
          reconnection: false,
          auth: options.auth,
          ...handshake,
        }) as V4Socket as unknown as TestSocket);
  openSockets.add(socket);
  if (options.version === 'v2' && transports[0] === 'polling') v2PollingSockets.add(socket);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 5 s')), 5000);
    socket.on('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    // A v2 client hears a refused handshake as `error` with the server's message.
    if (options.version === 'v2') {
      socket.on('error', (message: unknown) => {
        clearTimeout(timer);
        reject(new Error(String(message)));
      });
    }
  });
  return socket;
}

/** Opens a socket and binds it to `userId` with connect_user, waiting for connect_listener. */
export async function connectAs(
  url: string,
  userId: number,
  options: ConnectOptions = {},
): Promise<TestSocket> {
  const socket = await connect(url, options);
  const answer = waitFor(socket, 'connect_listener');
  socket.emit('connect_user', { userId: String(userId) });
  await answer;
  return socket;
}

export interface WaitOptions<T> {
  /** Rejects after this many ms (3000 when left out). */
  timeoutMs?: number;
  /** Only a payload that satisfies `match` counts; others are passed over. */
  match?: (payload: T) => boolean;
}

/**
 * Resolves with the next payload of `event` on `socket` (the next one that satisfies
 * `match`, when given); rejects after the timeout, given as a number or in the options.
 */
export function waitFor<T = any>(
  socket: TestSocket,
  event: string,
  options: number | WaitOptions<T> = {},
): Promise<T> {
  const { timeoutMs = 3000, match } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  return new Promise<T>((resolve, reject) => {
    const listener = (payload: T) => {
      if (match && !match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${match ? 'matching ' : ''}"${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(event, listener);
  });
}

/** Collects every payload of `event` on `socket` from now on. */
export function collect<T = any>(socket: TestSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Emits with an acknowledgement callback and resolves with what the server acked. */
export function emitWithAck<T = any>(
  socket: TestSocket,
  event: string,
  payload: unknown,
  timeoutMs = 3000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ack for "${event}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.emit(event, payload, (answer: T) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** Waits `ms` and fails if `event` arrived on `socket` meanwhile. */
export async function expectNoEvent(socket: TestSocket, event: string, ms = 300): Promise<void> {
  const seen = collect(socket, event);
  await new Promise((resolve) => setTimeout(resolve, ms));
  if (seen.length > 0) throw new Error(`unexpected "${event}": ${JSON.stringify(seen[0])}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Closes every socket the test opened. A v2 polling client posts its close
 * packet after close() returns; if the server stops first, that request fails
 * later and the old client throws from a timer after Jest tore the test file
 * down. A short wait lets those posts finish.
 */
export async function closeAllSockets(): Promise<void> {
  let v2Polling = false;
  for (const socket of openSockets) {
    v2Polling ||= v2PollingSockets.has(socket);
    socket.close();
  }
  openSockets.clear();
  if (v2Polling) await sleep(200);
}
