// `npm run bench` (after `npm run build`) and `npm run bench:smoke`:
// the send ladder on a database-less Socket.IO relay and on the built product,
// the product's idle-connection memory, its read latencies, and floods against
// its default limits, on a fresh Postgres database that is dropped at the end.
// Prints a Markdown report and writes bench/results/latest.json. Knobs:
// BENCH_RUNGS (msg/s, comma list), BENCH_SECONDS, BENCH_PAIRS,
// BENCH_IDLE_SOCKETS, BENCH_FLOOD_SECONDS, BENCH_CLAIM_SOCKETS,
// BENCH_POSTGRES_URL, BENCH_PARTS, BENCH_SERVER_NODE_ARGS, BENCH_PRODUCT_SCRIPT
// (see bench/README.md).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase, postgresVersion, seedReadData, seedUsers } from './database.mjs';
import { FLOOD_USERS, runFlood } from './flood.mjs';
import { runIdleMemory } from './idle-memory.mjs';
import { runLadder } from './load-generator.mjs';
import { runPushBench, startWebhookReceiver } from './push.mjs';
import { runReads, seedFeed } from './reads.mjs';
import { renderMarkdown } from './report.mjs';
import { openFiles, startServer, startWindow, stopAll } from './server-process.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Another build's entry point, for comparing two builds on one machine.
const PRODUCT_SCRIPT = process.env.BENCH_PRODUCT_SCRIPT?.trim() || `${ROOT}dist/main.js`;
const RELAY_SCRIPT = `${ROOT}bench/relay-server.mjs`;
const RESULTS_FILE = `${ROOT}bench/results/latest.json`;

const smoke = process.argv.includes('--smoke');

function envList(name, fallback) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new Error(`${name} must be a comma-separated list of positive numbers, got "${raw}"`);
  }
  return values;
}
const envNumber = (name, fallback) => envList(name, [fallback])[0];

// Smoke: the same code paths with tiny numbers, to prove the bench (and the
// server under it) works, not to measure anything.
const params = {
  rates: envList('BENCH_RUNGS', smoke ? [200] : [1000, 2000, 3000, 5000, 7500, 10000]),
  seconds: envNumber('BENCH_SECONDS', smoke ? 2 : 15),
  pairs: envNumber('BENCH_PAIRS', smoke ? 10 : 100),
  warmup: smoke ? { rate: 100, seconds: 1 } : { rate: 1000, seconds: 3 },
  graceMs: 5_000,
  maxLagMs: 1_000,
  idleSockets: envNumber('BENCH_IDLE_SOCKETS', smoke ? 200 : 20_000),
  floodSeconds: envNumber('BENCH_FLOOD_SECONDS', smoke ? 2 : 60),
  claimSockets: envNumber('BENCH_CLAIM_SOCKETS', smoke ? 100 : 5_000),
  settleMs: smoke ? 1_000 : 5_000,
  reads: {
    conversations: smoke ? 100 : 1_000,
    pageMessages: smoke ? 2_000 : 100_000,
    fullMessages: smoke ? 1_000 : 10_000,
    feedEvents: smoke ? 200 : 1_000,
    syncLimit: smoke ? 100 : 500, // sync's largest page
    warmup: smoke ? 3 : 10,
    iterations: smoke
      ? { listing: 20, page: 20, full: 5, sync: 20 }
      : { listing: 1000, page: 1000, full: 100, sync: 1000 },
  },
  push: {
    messages: envNumber('BENCH_PUSH_MESSAGES', smoke ? 200 : 5_000),
    senders: smoke ? 5 : 20,
    window: 20,
  },
  // The product's ladder runs with push on (a webhook in this process): receivers are online,
  // so nothing is queued, but every batch asks presence. BENCH_LADDER_PUSH=off for an A/B.
  ladderPush: process.env.BENCH_LADDER_PUSH?.trim() !== 'off',
  postgresUrl: process.env.BENCH_POSTGRES_URL?.trim() || 'postgres://postgres@127.0.0.1:5432',
  parts: envParts(),
  // The product runs as `npm run start:prod` runs it (its node flags), and so does the relay,
  // so that both have the same runtime; then extra flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  serverNodeArgs: [
    ...startProdNodeArgs(),
    ...(process.env.BENCH_SERVER_NODE_ARGS?.trim().split(/\s+/).filter(Boolean) ?? []),
  ],
};

/** The node flags of package.json's `start:prod` (`node <flags> dist/main.js`). */
function startProdNodeArgs() {
  const script = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts['start:prod'];
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.js') {
    throw new Error(`start:prod is not "node [flags] dist/main.js": ${script}`);
  }
  return words.slice(1, -1);
}

/** Which parts run: BENCH_PARTS, a comma list of relay, ladder, reads, push, idle, flood (default all). */
function envParts() {
  const all = ['relay', 'ladder', 'reads', 'push', 'idle', 'flood'];
  const raw = process.env.BENCH_PARTS?.trim();
  if (!raw) return new Set(all);
  const parts = raw.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !all.includes(p));
  if (unknown.length) {
    throw new Error(`BENCH_PARTS: unknown part(s) ${unknown.join(', ')}; known: ${all.join(', ')}`);
  }
  return new Set(parts);
}

/**
 * User ids: the ladder's pairs are 1..2P; the read data follows (listing
 * user, its partners, then the two history pairs and the feed pair); the idle
 * test binds 1..N.
 */
function userPlan() {
  const listingUser = params.pairs * 2 + 1;
  const afterListing = listingUser + params.reads.conversations + 1;
  const data = {
    listing: { user: listingUser, partners: params.reads.conversations },
    page: { userA: afterListing, userB: afterListing + 1, messages: params.reads.pageMessages },
    full: { userA: afterListing + 2, userB: afterListing + 3, messages: params.reads.fullMessages },
    sync: {
      userA: afterListing + 4,
      userB: afterListing + 5,
      events: params.reads.feedEvents,
      limit: params.reads.syncLimit,
    },
  };
  return {
    data,
    users: Math.max(params.idleSockets, afterListing + 5, ...Object.values(FLOOD_USERS)),
  };
}

const log = (line) => process.stderr.write(`${line}\n`);

function quietly(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

async function machine() {
  const cpuinfo = quietly(() => readFileSync('/proc/cpuinfo', 'utf8'), '');
  const git = (...args) =>
    quietly(() => execFileSync('git', args, { cwd: ROOT }).toString().trim(), '');
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'src') ? ' + uncommitted src changes' : '';
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    // The servers' node flags (start:prod's and BENCH_SERVER_NODE_ARGS).
    nodeFlags: params.serverNodeArgs.join(' '),
    postgres: await postgresVersion(params.postgresUrl),
    openFilesLimit: openFiles(process.pid).limit,
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    commit: commit + dirty,
  };
}

/** Starts a server, runs `work(server)` (failing fast if the server dies), stops it. */
async function withServer(options, work) {
  const server = await startServer({ cwd: ROOT, ...options });
  try {
    return await Promise.race([
      work(server),
      server.unexpectedExit.then(() => new Promise(() => {})),
    ]);
  } finally {
    await server.stop();
  }
}

function ladderOptions(server, postgresDatabase) {
  return {
    url: server.url,
    pairs: params.pairs,
    rates: params.rates,
    seconds: params.seconds,
    warmup: params.warmup,
    graceMs: params.graceMs,
    maxLagMs: params.maxLagMs,
    measure: () => startWindow(server.pid, { postgresDatabase }),
    log,
  };
}

async function main() {
  const started = Date.now();
  const result = {
    smoke,
    startedAt: new Date(started).toISOString(),
    params: { ...params, parts: [...params.parts], postgresUrl: undefined },
    machine: await machine(),
    relay: null,
    product: null,
    idle: null,
    reads: null,
    push: null,
    flood: null,
    errors: [],
  };
  // Each part runs even if an earlier one failed; failures are reported and make the exit code 1.
  const attempt = async (name, fn) => {
    try {
      await fn();
    } catch (error) {
      log(`${name} failed: ${error.stack ?? error}`);
      result.errors.push(`${name}: ${error.message}`);
    }
  };

  const database = await createBenchDatabase(params.postgresUrl);
  const interrupted = async (signal) => {
    log(`\n${signal}: stopping servers and dropping ${database.name}`);
    await stopAll();
    await database.drop().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  // The product as deployed (default limits): the flood part runs against it.
  const defaultsEnv = {
    DATABASE_URL: database.url,
    ADMIN_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'warn',
    RUN_MIGRATIONS: 'true',
    DEMO_USERS: 'false',
    REDIS_URL: '', // one node: the bench measures this process, not a Redis round trip
  };
  // The ladder's senders send 10 to 100 msg/s each and the reads run back to back on one
  // socket: over the default per-user limits, which stay on (RATE_LIMITS) but are raised.
  const productEnv = {
    ...defaultsEnv,
    RATE_LIMIT_SEND_PER_SECOND: '1000',
    RATE_LIMIT_SEND_BURST: '1000',
    RATE_LIMIT_EVENTS_PER_SECOND: '5000',
    RATE_LIMIT_EVENTS_BURST: '5000',
  };
  const { data, users } = userPlan();
  const webhook = await startWebhookReceiver();
  if (params.ladderPush || params.parts.has('push')) {
    productEnv.PUSH_WEBHOOK_URL = webhook.url;
    productEnv.PUSH_WEBHOOK_SECRET = randomBytes(16).toString('hex');
  }
  try {
    const { parts, serverNodeArgs: nodeArgs } = params;
    log(`database ${database.name}; parts: ${[...parts].join(', ')}`);
    if (parts.has('relay')) {
      log('relay ladder');
      await attempt('relay ladder', () =>
        withServer({ name: 'relay', script: RELAY_SCRIPT, nodeArgs }, async (relay) => {
          result.relay = await runLadder(ladderOptions(relay));
        }),
      );
    }

    const product = { name: 'product', script: PRODUCT_SCRIPT, env: productEnv, nodeArgs };
    if (parts.has('reads') || parts.has('ladder') || parts.has('push')) {
      log('product: start (migrations), seed, reads, ladder');
      await attempt('product', () =>
        withServer(product, async (server) => {
          await seedUsers(database.url, users);
          if (parts.has('reads')) {
            // Through the server first, so that seedReadData's VACUUM ANALYZE covers the feed too.
            await seedFeed(server.url, data.sync);
            await seedReadData(database.url, data);
            await attempt('reads', async () => {
              result.reads = await runReads({
                url: server.url,
                data,
                iterations: params.reads.iterations,
                warmup: params.reads.warmup,
                measure: () => startWindow(server.pid, { postgresDatabase: database.name }),
              });
            });
          }
          if (parts.has('ladder')) {
            await attempt('product ladder', async () => {
              result.product = await runLadder(ladderOptions(server, database.name));
            });
          }
          if (parts.has('push')) {
            await attempt('push', async () => {
              // The ladder's first senders (odd ids) to their receivers (even ids), now offline.
              const count = Math.min(params.push.senders, params.pairs);
              result.push = await runPushBench({
                url: server.url,
                receiver: webhook,
                senderIds: Array.from({ length: count }, (_, i) => 2 * i + 1),
                receiverIds: Array.from({ length: count }, (_, i) => 2 * i + 2),
                messages: params.push.messages,
                window: params.push.window,
                log,
              });
            });
          }
        }),
      );
    }

    if (parts.has('idle')) {
      log(`idle connections: ${params.idleSockets} sockets on a fresh product process`);
      await attempt('idle connections', () =>
        withServer({ ...product, name: 'product (idle test)' }, async (server) => {
          // Users exist already when the product part ran; seeding again is a no-op.
          await seedUsers(database.url, users);
          result.idle = await runIdleMemory({
            server,
            requested: params.idleSockets,
            settleMs: params.settleMs,
            log,
          });
        }),
      );
    }

    if (parts.has('flood')) {
      await attempt('flood', async () => {
        result.flood = await runFlood({
          // Each scenario on a fresh process; the first one migrates the database, then users.
          startFresh: async (name) => {
            const server = await startServer({
              cwd: ROOT,
              name,
              script: PRODUCT_SCRIPT,
              env: defaultsEnv,
              nodeArgs,
            });
            await seedUsers(database.url, users);
            return server;
          },
          seconds: params.floodSeconds,
          claimSockets: params.claimSockets,
          settleMs: params.settleMs,
          cap: 20, // MAX_SOCKETS_PER_USER's default
          log,
        });
      });
    }
  } finally {
    await stopAll();
    await webhook.close();
    await database.drop();
  }
  return finish(result, started);
}

/** Collects the run's errors, writes the JSON result and prints the report; the exit code. */
function finish(result, started) {
  for (const [name, ladder] of [
    ['relay', result.relay],
    ['product', result.product],
  ]) {
    if (ladder?.problems.some((p) => p.startsWith('socket disconnected'))) {
      result.errors.push(`${name} ladder: a load-generator socket was disconnected`);
    }
    // "The server is busy" (the node-wide bound) is the product's answer to overload: the
    // rung fails on it, the run does not.
    const exceptions = ladder?.rungs.reduce(
      (sum, rung) => sum + rung.exceptions - (rung.busy ?? 0),
      0,
    );
    if (exceptions)
      result.errors.push(`${name} ladder: ${exceptions} send_message refused (exception)`);
  }
  if (result.push?.missing || result.push?.duplicates || result.push?.refused) {
    result.errors.push(
      `push: ${result.push.missing} missing, ${result.push.duplicates} duplicates, ${result.push.refused} sends refused`,
    );
  }
  if (result.idle?.failed)
    result.errors.push(`idle connections: ${result.idle.failed} sockets failed to bind`);
  for (const scenario of result.flood?.scenarios ?? []) {
    if (!scenario.alive) result.errors.push(`flood (${scenario.mode}): the server did not survive`);
    if (scenario.observer.disconnects)
      result.errors.push(`flood (${scenario.mode}): an observer socket was disconnected`);
  }
  if (result.flood?.claim && !result.flood.claim.alive)
    result.errors.push('flood (socket cap): the server did not survive');

  result.durationSeconds = (Date.now() - started) / 1000;
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(renderMarkdown(result));
  log(`\nwrote ${RESULTS_FILE}`);
  return result.errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (error) => {
    log(error.stack ?? String(error));
    await stopAll();
    process.exit(1);
  },
);
