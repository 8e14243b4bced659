// Read latency on seeded data: sequential requests over one bound socket,
// each timed from emit to its answer event.
import { connectAs, waitFor } from './clients.mjs';
import { summarize } from './stats.mjs';

async function timeRequests(
  socket,
  { event, payload, answer, expectRows, warmup, iterations, measure },
) {
  const latencies = [];
  let stopWindow;
  for (let i = 0; i < warmup + iterations; i++) {
    if (i === warmup) stopWindow = measure();
    const answered = waitFor(socket, answer);
    const started = performance.now();
    socket.emit(event, payload);
    const rows = await answered;
    const elapsed = performance.now() - started;
    if (!Array.isArray(rows) || rows.length !== expectRows) {
      throw new Error(
        `${event} answered ${Array.isArray(rows) ? rows.length : typeof rows} rows, expected ${expectRows}`,
      );
    }
    if (i >= warmup) latencies.push(elapsed);
  }
  return { latencyMs: summarize(latencies), ...stopWindow() };
}

/**
 * The three read benchmarks on data seeded by seedReadData (bench/database.mjs).
 * Warm-up requests come first: the first get_message also marks the page read.
 * `measure()` opens a CPU window over each case's timed requests.
 */
export async function runReads({ url, data, iterations, warmup, measure }) {
  const cases = [
    {
      name: 'chat_listing',
      dataset: `user with ${data.listing.partners.toLocaleString('en-US')} conversations`,
      user: data.listing.user,
      event: 'chat_listing',
      payload: { userId: data.listing.user },
      answer: 'chat_message',
      expectRows: data.listing.partners,
      targetP99Ms: 20,
      iterations: iterations.listing,
    },
    {
      name: 'get_message limit 50',
      dataset: `newest page of a ${data.page.messages.toLocaleString('en-US')}-message conversation`,
      user: data.page.userA,
      event: 'get_message',
      payload: { senderId: data.page.userA, receiverId: data.page.userB, limit: 50 },
      answer: 'get_data_message',
      expectRows: Math.min(50, data.page.messages),
      targetP99Ms: 10,
      iterations: iterations.page,
    },
    {
      name: 'get_message full history',
      dataset: `whole ${data.full.messages.toLocaleString('en-US')}-message conversation`,
      user: data.full.userA,
      event: 'get_message',
      payload: { senderId: data.full.userA, receiverId: data.full.userB },
      answer: 'get_data_message',
      expectRows: data.full.messages,
      targetP99Ms: 150,
      iterations: iterations.full,
    },
  ];
  const results = [];
  for (const { user, ...spec } of cases) {
    const socket = await connectAs(url, user);
    try {
      const { latencyMs, ...usage } = await timeRequests(socket, { ...spec, warmup, measure });
      results.push({
        name: spec.name,
        dataset: spec.dataset,
        iterations: spec.iterations,
        latencyMs,
        targetP99Ms: spec.targetP99Ms,
        pass: latencyMs.p99 < spec.targetP99Ms,
        ...usage,
      });
    } finally {
      socket.close();
    }
  }
  return results;
}
