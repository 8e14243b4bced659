// Latency summaries, in milliseconds rounded to 0.1 ms.

const round = (ms) => Math.round(ms * 10) / 10;

/** p50/p95/p99/max of `values` (nearest-rank percentiles); null fields when empty. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) =>
    sorted.length
      ? round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)])
      : null;
  return {
    count: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.length ? round(sorted[sorted.length - 1]) : null,
  };
}
