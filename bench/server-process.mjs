// Child processes of the bench (the product, the relay, idle-socket clients):
// start, wait for health, measure through /proc, and never leave one behind.
import { spawn, fork } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; `getconf CLK_TCK` is 100 on every Linux we run on

/** Every child still running; killed on any exit path, including a crash of the bench itself. */
const children = new Set();

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A port that was free a moment ago on 127.0.0.1 (the server is told to listen on it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function track(child, name) {
  children.add(child);
  // The last lines of output, to explain a child that dies.
  const tail = [];
  const keep = (chunk) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    name,
    child,
    pid: child.pid,
    exited,
    tail,
    get running() {
      return children.has(child);
    },
    /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
    async stop(graceMs = 15_000) {
      if (!children.has(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts an HTTP server process (`node <script>`) on a free port and waits
 * until its GET /health answers 200. `unexpectedExit` rejects if it dies
 * before `stop()`, so a run can fail fast instead of timing out.
 */
export async function startServer({
  name,
  script,
  cwd,
  env = {},
  nodeArgs = [],
  healthTimeoutMs = 90_000,
}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = track(child, name);
  // BENCH_SERVER_LOG_DIR: each server's whole output in <dir>/<name>-<pid>.log (e.g. with
  // BENCH_SERVER_NODE_ARGS=--trace-gc, to see the pauses behind a latency tail).
  const logDir = process.env.BENCH_SERVER_LOG_DIR?.trim();
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(`${logDir}/${name}-${child.pid}.log`);
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  server.url = `http://127.0.0.1:${port}`;
  let stopping = false;
  const stop = server.stop;
  server.stop = (graceMs) => {
    stopping = true;
    return stop(graceMs);
  };
  server.unexpectedExit = server.exited.then(({ code, signal }) => {
    if (!stopping) {
      throw new Error(
        `${name} exited unexpectedly (code ${code}, signal ${signal}):\n  ${server.tail.join('\n  ')}`,
      );
    }
  });
  server.unexpectedExit.catch(() => undefined); // observed by whoever races it

  const deadline = Date.now() + healthTimeoutMs;
  for (;;) {
    if (!server.running) await server.unexpectedExit;
    try {
      const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} did not answer /health 200 within ${healthTimeoutMs} ms`);
    }
    await sleep(200);
  }
  return server;
}

/** Forks a bench script as a child with an IPC channel (used for idle-socket clients). */
export function forkWorker(script, name, args = []) {
  return track(fork(script, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), name);
}

/** Stops every child still running (SIGINT path and end of run). */
export async function stopAll() {
  // track() objects are not kept globally; SIGTERM then SIGKILL the raw children.
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
}

// ---- /proc measurements --------------------------------------------------

/** User + system CPU time of a process so far, in seconds (0 once it is gone). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set size of a process, in KB. */
export function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}

/** Soft limit on open files of a process and how many it has open now. */
export function openFiles(pid) {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const limit = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
  return { limit, open: readdirSync(`/proc/${pid}/fd`).length };
}

/** CPU seconds the whole machine has spent busy (all cores, every process). */
function machineBusySeconds() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Postgres processes working for `database`: its client backends plus the
 * shared ones (WAL writer, checkpointer, autovacuum...), not other databases'
 * backends, since other people may use the same Postgres.
 */
function postgresPids(database) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('postgres')) continue;
      // A client backend's title is "postgres: <cluster>: <user> <database> <host>(<port>) <state>".
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const clientBackend = /\(\d+\)|\[local\]/.test(title);
      if (!clientBackend || title.includes(` ${database} `)) pids.push(entry);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU seconds so far of each of those processes, by pid. */
function postgresCpu(database) {
  return new Map(postgresPids(database).map((pid) => [pid, cpuSeconds(pid)]));
}

/**
 * CPU seconds Postgres spent between two postgresCpu() readings, per process
 * so that one that exited (an autovacuum worker) does not make it negative; a
 * process born inside the window counts whole.
 */
function postgresCpuDelta(before, after) {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/**
 * Measures a window (one rung): CPU % (100 % = one core) of the server, of
 * Postgres (for `postgresDatabase`), of this process (the load generator) and
 * of the whole machine (so that other work on it shows); and the server's
 * peak RSS, sampled every 100 ms because VmHWM is a peak since start, not per
 * window.
 */
export function startWindow(pid, { postgresDatabase } = {}) {
  const started = performance.now();
  const serverCpu = cpuSeconds(pid);
  const postgresBefore = postgresDatabase ? postgresCpu(postgresDatabase) : null;
  const ownCpu = process.cpuUsage();
  const machineCpu = machineBusySeconds();
  let peakRssKb = rssKb(pid);
  const sampler = setInterval(() => {
    try {
      peakRssKb = Math.max(peakRssKb, rssKb(pid));
    } catch {
      // the process is gone; the caller finds out elsewhere
    }
  }, 100);
  return () => {
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownCpu);
    const percent = (cpu) => Math.round((cpu / seconds) * 100);
    const usage = {
      serverCpuPercent: percent(cpuSeconds(pid) - serverCpu),
      postgresCpuPercent: postgresDatabase
        ? percent(postgresCpuDelta(postgresBefore, postgresCpu(postgresDatabase)))
        : null,
      generatorCpuPercent: percent((own.user + own.system) / 1e6),
      machineCpuPercent: percent(machineBusySeconds() - machineCpu),
      peakRssKb,
    };
    // Whatever else ran meanwhile (other people's work on a shared machine).
    usage.otherCpuPercent = Math.max(
      0,
      usage.machineCpuPercent -
        usage.serverCpuPercent -
        (usage.postgresCpuPercent ?? 0) -
        usage.generatorCpuPercent,
    );
    return usage;
  };
}
