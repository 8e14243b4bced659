// Property-based fuzzing of every client event (issue 9, part 4): random and
// adversarial payloads, unknown events, with and without acks, mixed with
// valid requests; see test/support/fuzz/ for the generators and the
// invariants checked after every case. 5,000 cases in each AUTH_MODE (legacy,
// optional, required) by default: 15,000 per database (CI runs fewer: see .ci/run).
//
// Replay a failure: FUZZ_SEED=<printed seed> (the whole run, same order);
// add FUZZ_PATH=<path from the report> to run only the failing case, and
// FUZZ_SHRINK=1 to let fast-check shrink it. FUZZ_RUNS changes the count,
// FUZZ_AUTH_MODES the auth modes (all three by default).
import fc from 'fast-check';
import { EXISTING_USERS, fuzzCase, OBSERVER } from './support/fuzz/arbitraries.js';
import { fuzzAuthModes } from './support/fuzz/auth-modes.js';
import { FuzzHarness, type FuzzCounts } from './support/fuzz/harness.js';
import { useTestServer } from './support/suite.js';

/** Cases per auth mode. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Own keys of the built-in prototypes: a polluting payload would add one. */
function prototypeKeys(): string[][] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((proto) =>
    Reflect.ownKeys(proto).map(String).sort(),
  );
}

function summary(mode: string, counts: FuzzCounts, ms: number): string {
  const events = Object.entries(counts.byEvent)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([event, { accepted, refused }]) => `  ${event}: ${accepted} accepted, ${refused} refused`)
    .join('\n');
  return [
    `fuzz (${mode}, seed ${SEED}, ${process.env.DATABASE_URL ? 'Postgres' : 'embedded'}${process.env.REDIS_URL ? ' + Redis' : ''}) in ${(ms / 1000).toFixed(1)} s:`,
    `  cases ${counts.cases}, accepted ${counts.accepted}, refused ${counts.refused} (of which too many requests ${counts.refusedByLimits}), unknown events ignored ${counts.ignored}`,
    `  crashes ${counts.crashes}, rows changed by refused requests ${counts.rowsChangedByRefused}, unanswered ${counts.unanswered}, observer events ${counts.observerEvents}, disconnects ${counts.disconnects} (and ${counts.disconnectsByLimits} by flood control after "too many requests")`,
    events,
    `  replay: FUZZ_SEED=${SEED}`,
  ].join('\n');
}

describe.each(fuzzAuthModes())('fuzz, AUTH_MODE=$name', (mode) => {
  // RATE_LIMITS=off: the fuzz sends as fast as the server answers; the queue bounds and
  // disconnect rules stay on (a socket closed after "too many requests" is reopened).
  const server = useTestServer({ env: { ...mode.env, RATE_LIMITS: 'off' } });

  beforeAll(async () => {
    for (const id of [...EXISTING_USERS, OBSERVER]) await server.createUser(id, `User ${id}`);
  });

  it(`${RUNS} random and adversarial requests: answered, refused ones change nothing, nobody else hears, the server stays up`, async () => {
    console.log(
      `fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED}), ${RUNS} cases, AUTH_MODE=${mode.name}`,
    );
    const harness = new FuzzHarness(server, mode);
    const prototypesBefore = prototypeKeys();
    const started = Date.now();
    try {
      await harness.start();
      await fc.assert(
        fc.asyncProperty(fuzzCase, (one) => harness.run(one)),
        {
          seed: SEED,
          numRuns: RUNS,
          path: process.env.FUZZ_PATH,
          // The server's state moves on with every case: shrinking replays
          // smaller cases on a later state, so only on request.
          endOnFailure: process.env.FUZZ_SHRINK !== '1',
        },
      );
      await harness.finish();
    } finally {
      console.log(summary(mode.name, harness.counts, Date.now() - started));
      harness.close();
    }
    expect(prototypeKeys()).toEqual(prototypesBefore);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).not.toMatch(/^chat_errors_total\{source="socket_handler"\} [1-9]/m);
    expect(harness.counts).toMatchObject({
      crashes: 0,
      rowsChangedByRefused: 0,
      unanswered: 0,
      observerEvents: 0,
      disconnects: 0,
    });
    if (!process.env.FUZZ_PATH) expect(harness.counts.cases).toBe(RUNS);
    // The generators reach the accepted paths of every event, not only refusals.
    for (const [event, tally] of Object.entries(harness.counts.byEvent)) {
      if (RUNS >= 5_000) expect([event, tally.accepted > 0]).toEqual([event, true]);
    }
  }, 900_000);
});
