// Helpers of the flood-control specs: an unpaced flooding client, a private
// Redis to stop, a gate that holds sends in the server, and /metrics counters.
import { spawn, type ChildProcess } from 'node:child_process';
import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { MessagesService } from '../../src/messages/messages.service.js';
import { freePort } from './server-process.js';
import { sleep, type TestSocket } from './sockets.js';

/** What a flooding client saw. */
export interface FloodStats {
  sent: number;
  /** `exception` answers whose message says "too many requests". */
  tooMany: number;
  /** Other `exception` answers. */
  otherExceptions: number;
  /** When the server closed the socket, ms after the flood began (undefined if it did not). */
  disconnectedAfterMs?: number;
  disconnectReason?: string;
  /** The first "too many requests" messages seen, for the log. */
  samples: string[];
}

/** Bytes the client may have written and the server not yet read before the flooder waits a turn. */
const CLIENT_BUFFER_BYTES = 1 << 20;

/**
 * Emits `event` with `payload` on `socket` as fast as the connection takes
 * it (batches of 500, a turn of the event loop in between, pausing while
 * over a megabyte waits in the client) until `stop()` says so or the server
 * closes the socket. The client reads everything the server sends.
 */
export async function flood(
  socket: TestSocket,
  event: string,
  payload: unknown,
  stop: () => boolean,
): Promise<FloodStats> {
  const stats: FloodStats = { sent: 0, tooMany: 0, otherExceptions: 0, samples: [] };
  const started = Date.now();
  socket.on('exception', (error: { message?: string }) => {
    if (/too many requests/.test(String(error?.message))) {
      stats.tooMany++;
      if (stats.samples.length < 3 && !stats.samples.includes(String(error.message))) {
        stats.samples.push(String(error.message));
      }
    } else stats.otherExceptions++;
  });
  socket.on('disconnect', (reason: string) => {
    stats.disconnectedAfterMs ??= Date.now() - started;
    stats.disconnectReason ??= reason;
  });
  const engine = (socket as unknown as { io: { engine: EngineLike } }).io.engine;
  while (socket.connected && !stop()) {
    const buffered = (engine.transport?.ws?.bufferedAmount ?? 0) + engine.writeBuffer.length * 100;
    if (buffered < CLIENT_BUFFER_BYTES) {
      for (let i = 0; i < 500; i++) socket.emit(event, payload);
      stats.sent += 500;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return stats;
}

interface EngineLike {
  writeBuffer: unknown[];
  transport?: { ws?: { bufferedAmount?: number } };
}

/** Latencies of an observer pair's messages, and how many never arrived. */
export interface ObserverStats {
  sent: number;
  latenciesMs: number[];
  missing: number;
}

/**
 * Alice and Bob exchange a message every `intervalMs` (alternating
 * directions) until `stop()`; each message's latency runs from its emit to
 * the receiver's new_message. Resolves once the last one arrived, or 5 s
 * after the stop.
 */
export async function observePair(
  a: { socket: TestSocket; userId: number },
  b: { socket: TestSocket; userId: number },
  intervalMs: number,
  stop: () => boolean,
): Promise<ObserverStats> {
  const sentAt = new Map<string, number>();
  const latenciesMs: number[] = [];
  const onMessage = (row: { message?: string }) => {
    const at = sentAt.get(String(row?.message));
    if (at === undefined) return;
    sentAt.delete(String(row.message));
    latenciesMs.push(performance.now() - at);
  };
  a.socket.on('new_message', (row: { message?: string; receiverId?: number }) => {
    if (row?.receiverId === a.userId) onMessage(row);
  });
  b.socket.on('new_message', (row: { message?: string; receiverId?: number }) => {
    if (row?.receiverId === b.userId) onMessage(row);
  });
  let sent = 0;
  while (!stop()) {
    const [from, to] = sent % 2 === 0 ? [a, b] : [b, a];
    const message = `observer ${sent}`;
    sentAt.set(message, performance.now());
    from.socket.emit('send_message', {
      senderId: from.userId,
      receiverId: to.userId,
      messageType: 0,
      message,
    });
    sent++;
    await sleep(intervalMs);
  }
  const deadline = Date.now() + 5000;
  while (sentAt.size > 0 && Date.now() < deadline) await sleep(20);
  return { sent, latenciesMs, missing: sentAt.size };
}

/** p50 / p99 / max of `values`, rounded to 0.1. */
export function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (p: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN;
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN) };
}

/** A redis-server of this test's own on a free port, without persistence. */
export interface PrivateRedis {
  url: string;
  /** Kills it by PID and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  restart(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited = Promise.resolve();
  const start = async () => {
    const process = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = process;
    exited = new Promise<void>((resolve) => process.once('exit', () => resolve()));
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch (error) {
          if (attempt > 50) {
            process.kill('SIGKILL');
            throw new Error(`private redis-server did not start: ${String(error)}`);
          }
          await sleep(100);
        }
      }
    } finally {
      probe.disconnect();
    }
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, stop, restart: start };
}

/**
 * Holds every send_message of `app` inside MessagesService.send (the real
 * one runs once released), so that a socket's later events must wait in its
 * queue: what is admitted and what is refused no longer depends on timing.
 */
export function holdSends(app: INestApplication): {
  release(): void;
  held(): number;
  restore(): void;
} {
  const service = app.get(MessagesService);
  const original = service.send.bind(service);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  const spy = jest
    .spyOn(service, 'send')
    .mockImplementation(async (...args: Parameters<MessagesService['send']>) => {
      held++;
      await gate;
      return original(...args);
    });
  return { release, held: () => held, restore: () => spy.mockRestore() };
}

/** The value of `chat_refusals_total{reason="<reason>"}` (0 when absent). */
export async function refusals(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^chat_refusals_total\{reason="([a-z_]+)"\} (\d+)$/gm)) {
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

/** How much each reason grew between two `refusals()` readings. */
export function grown(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, value] of Object.entries(after)) {
    const delta = value - (before[reason] ?? 0);
    if (delta !== 0) out[reason] = delta;
  }
  return out;
}
