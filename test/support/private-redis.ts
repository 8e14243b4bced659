// A Redis server of the test's own, on a free port, that the test may stop and
// start again: the machine's Redis is shared by every test run and never stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './server-process.js';

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, nothing saved) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (as after a restart without persistence). */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): its connections stay open and nothing answers. */
  pause(): void;
  /** Thaws it (SIGCONT): it then answers everything it was sent meanwhile. */
  resume(): void;
}

/** Starts `redis-server --port <free> --save ""` and waits until it answers PING. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not up yet
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer in 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  // Signals go to this child's PID only, never by name.
  const signal = (name: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGCONT'); // a frozen server would never act on SIGTERM
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}
