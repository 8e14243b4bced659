// The Markdown report of one run (bench/results/latest.json holds the same data).

const MB = 1024;
const fmt = (n) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
const mb = (kb) =>
  kb === null || kb === undefined ? '–' : Math.round(kb / MB).toLocaleString('en-US');
const passFail = (pass) => (pass ? 'PASS' : 'FAIL');

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The highest passing target rate of a ladder, or null. */
export function bestPassingRate(ladder) {
  const passing = (ladder?.rungs ?? []).filter((rung) => rung.pass).map((rung) => rung.targetRate);
  return passing.length ? Math.max(...passing) : null;
}

function ladderCells(rung, withPostgres) {
  if (!rung) return Array(6).fill('–');
  const l = rung.latencyMs;
  const cpu = [
    rung.serverCpuPercent,
    ...(withPostgres ? [rung.postgresCpuPercent] : []),
    rung.generatorCpuPercent,
    rung.machineCpuPercent,
  ];
  return [
    fmt(rung.deliveredPerSecond),
    `${fmt(l.p50)} / ${fmt(l.p95)} / ${fmt(l.p99)} / ${fmt(l.max)}`,
    `${fmt(rung.lost)} / ${fmt(rung.skipped)}${rung.exceptions ? ` (${rung.exceptions} exceptions${rung.busy ? `, ${rung.busy} "server is busy"` : ''})` : ''}`,
    cpu.join(' / '),
    mb(rung.peakRssKb),
    passFail(rung.pass),
  ];
}

function ladderSection(result) {
  const { params, relay, product } = result;
  const rates = [
    ...new Set([...(relay?.rungs ?? []), ...(product?.rungs ?? [])].map((r) => r.targetRate)),
  ].sort((a, b) => a - b);
  const rows = rates.map((rate) => [
    fmt(rate),
    ...ladderCells(
      relay?.rungs.find((r) => r.targetRate === rate),
      false,
    ),
    ...ladderCells(
      product?.rungs.find((r) => r.targetRate === rate),
      true,
    ),
  ]);
  const header = [
    'target msg/s',
    'relay delivered msg/s',
    'relay p50 / p95 / p99 / max ms',
    'relay lost / skipped',
    'CPU % relay / generator / machine',
    'relay peak RSS MB',
    'relay result',
    'product delivered msg/s',
    'product p50 / p95 / p99 / max ms',
    'product lost / skipped',
    'CPU % product / Postgres / generator / machine',
    'product peak RSS MB',
    'product result',
  ];
  const notes = [];
  for (const [name, ladder] of [
    ['relay', relay],
    ['product', product],
  ]) {
    if (!ladder) notes.push(`- ${name}: not run`);
    else if (ladder.rungs.length < params.rates.length)
      notes.push(
        `- ${name}: stopped after ${ladder.rungs.length} rungs (two failing in a row, or a socket dropped)`,
      );
    for (const problem of ladder?.problems ?? []) notes.push(`- ${name}: ${problem}`);
    const other = Math.max(0, ...(ladder?.rungs ?? []).map((r) => r.otherCpuPercent));
    if (other >= 10) {
      notes.push(
        `- ${name}: other processes on the machine used up to ${other} % CPU during a rung; ` +
          'with 2 cores shared, its numbers are lower than on a quiet machine.',
      );
    }
  }
  return [
    `## Send ladder: open loop, ${params.pairs} sender/receiver pairs, ${params.seconds} s per rung`,
    '',
    "Latency runs from each message's scheduled send time to the later of its two " +
      "deliveries (receiver socket and the sender's own echo); a message counts as delivered " +
      'only when both got it. Delivered msg/s counts deliveries completed within the rung. ' +
      `Lost: sent but not delivered ${params.graceMs / 1000} s after the rung; skipped: not sent ` +
      `because the generator was more than ${params.maxLagMs / 1000} s behind schedule. ` +
      `CPU % is of one core (the machine has ${result.machine.cores}, so ${result.machine.cores * 100} % is all of it); ` +
      "Postgres counts the bench database's backends and the shared Postgres processes; " +
      'generator is the bench process driving the load; machine is everything, other users included. ' +
      'A rung passes with p99 < 100 ms and nothing lost or skipped.',
    '',
    table(header, rows),
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

function verdictLine(result) {
  const product = bestPassingRate(result.product);
  const relay = bestPassingRate(result.relay);
  const relayTop = result.relay?.rungs.at(-1);
  const relayCeilingOpen = relayTop?.pass && relayTop.targetRate === relay;
  const productText = product
    ? `the product sustains **${fmt(product)} msg/s** (highest rung with p99 < 100 ms, nothing lost or skipped)`
    : 'the product passes **no rung**';
  const relayText = relay
    ? `the relay ${relayCeilingOpen ? 'passes every rung up to' : 'sustains'} **${fmt(relay)} msg/s**`
    : 'the relay passes no rung';
  const ratio =
    product && relay
      ? `: **${Math.round((product / relay) * 100)} %** of the transport ceiling` +
        (relayCeilingOpen ? ' (an upper bound: the relay was not saturated by the ladder)' : '')
      : '';
  const peak = (ladder) => Math.max(0, ...(ladder?.rungs ?? []).map((r) => r.deliveredPerSecond));
  return (
    `**Verdict:** ${productText}; ${relayText}${ratio}. ` +
    `Highest delivered throughput on any rung: product ${fmt(peak(result.product))} msg/s, ` +
    `relay ${fmt(peak(result.relay))} msg/s.`
  );
}

function idleSection(idle) {
  if (!idle) return '## Idle connections\n\nNot run.';
  const rows = [
    [
      `${fmt(idle.bound)} of ${fmt(idle.requested)}${idle.failed ? ` (${fmt(idle.failed)} failed)` : ''}`,
      `${fmt(idle.clientProcesses)}`,
      `${idle.connectSeconds}`,
      mb(idle.rssBeforeKb),
      mb(idle.rssAfterKb),
      `${idle.kbPerSocket}`,
      '≤ 20',
      passFail(idle.kbPerSocket !== null && idle.kbPerSocket <= 20),
    ],
  ];
  const notes = [];
  if (idle.cappedBy) notes.push(`- Capped at ${fmt(idle.target)} sockets by the ${idle.cappedBy}.`);
  if (idle.droppedWhileIdle)
    notes.push(`- ${fmt(idle.droppedWhileIdle)} sockets dropped while idle.`);
  for (const error of idle.errors) notes.push(`- connect error: ${error}`);
  return [
    '## Idle connections: fresh product process, websocket clients bound with connect_user',
    '',
    table(
      [
        'sockets bound',
        'client processes',
        'connect time s',
        'server RSS before MB',
        'server RSS after MB',
        'KB per socket',
        'target KB',
        'result',
      ],
      rows,
    ),
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

function readsSection(reads) {
  if (!reads) return '## Reads\n\nNot run.';
  return [
    '## Reads: sequential requests over one socket, emit to answer event, after warm-up',
    '',
    table(
      [
        'request',
        'dataset',
        'iterations',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'target p99',
        'result',
        'CPU % product / Postgres / other',
      ],
      reads.map((r) => [
        r.name,
        r.dataset,
        fmt(r.iterations),
        fmt(r.latencyMs.p50),
        fmt(r.latencyMs.p95),
        fmt(r.latencyMs.p99),
        fmt(r.latencyMs.max),
        `< ${r.targetP99Ms} ms`,
        passFail(r.pass),
        `${r.serverCpuPercent} / ${r.postgresCpuPercent} / ${r.otherCpuPercent}`,
      ]),
    ),
    ...reads.filter((r) => r.note).map((r) => `\n- ${r.name}: ${r.note}`),
  ].join('\n');
}

function pushSection(push, ladderPush) {
  const ladderNote = `The product's ladder ran with push ${ladderPush ? 'on (a webhook configured, receivers online: nothing queued)' : 'off (BENCH_LADDER_PUSH=off)'}.`;
  if (!push) return `## Push notifications\n\nNot run. ${ladderNote}`;
  return [
    '## Push notifications: messages to offline receivers, POSTed to a local webhook (200 at once)',
    '',
    table(
      [
        'messages',
        'senders',
        'sends/s',
        'pushes/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'missing',
        'duplicates',
      ],
      [
        [
          fmt(push.messages),
          fmt(push.senders),
          fmt(push.sendsPerSecond),
          fmt(push.pushesPerSecond),
          fmt(push.latencyMs.p50),
          fmt(push.latencyMs.p95),
          fmt(push.latencyMs.p99),
          fmt(push.latencyMs.max),
          fmt(push.missing),
          fmt(push.duplicates),
        ],
      ],
    ),
    '',
    'pushes/s: distinct delivery ids received, from the first send to the last push; latency: from the ' +
      "sender's answer to the webhook's receipt.",
    '',
    ladderNote,
  ].join('\n');
}

function floodSection(flood) {
  if (!flood) return '## Flood\n\nNot run.';
  const [a, b] = [
    flood.scenarios.find((s) => s.mode === 'send'),
    flood.scenarios.find((s) => s.mode === 'unbound'),
  ];
  const cell = (scenario, pick) => (scenario ? pick(scenario) : '–');
  const row = (label, pick) => [label, cell(a, pick), cell(b, pick)];
  const refusalList = (counts) =>
    Object.entries(counts)
      .map(([reason, n]) => `${reason} ${fmt(n)}`)
      .join(', ') || 'none';
  const rows = [
    row('flooder events sent', (s) => fmt(s.flooder.sent)),
    row(
      'refused: "too many requests" / other',
      (s) => `${fmt(s.flooder.tooMany)} / ${fmt(s.flooder.otherRefusals)}`,
    ),
    row('stored (its own copies received)', (s) => fmt(s.flooder.stored)),
    row(
      'connections / disconnected by the server',
      (s) => `${fmt(s.flooder.connections)} / ${fmt(s.flooder.disconnects)}`,
    ),
    row('first disconnect after', (s) =>
      s.flooder.firstDisconnectMs === null ? 'never' : `${fmt(s.flooder.firstDisconnectMs)} ms`,
    ),
    row('server refusals by reason', (s) => refusalList(s.refusals)),
    row(
      'server RSS before / peak / after MB',
      (s) => `${mb(s.rssBeforeKb)} / ${mb(s.rssPeakKb)} / ${mb(s.rssAfterKb)}`,
    ),
    row(
      'RSS growth (target < 150 MB)',
      (s) => `${fmt(s.rssGrowthMb)} MB — ${passFail(s.checks.rss)}`,
    ),
    row(
      'observer messages sent / lost',
      (s) => `${fmt(s.observer.sent)} / ${fmt(s.observer.lost)}`,
    ),
    row('observer p50 / p99 / max ms (target p99 < 100)', (s) => {
      const l = s.observer.latencyMs;
      return `${fmt(l.p50)} / ${fmt(l.p99)} / ${fmt(l.max)} — ${passFail(s.checks.observerP99)}`;
    }),
    row('CPU % server / other processes', (s) => `${s.serverCpuPercent} / ${s.otherCpuPercent}`),
    row('process alive', (s) => passFail(s.alive)),
    row('flooder refused or disconnected', (s) => passFail(s.checks.flooderStopped)),
  ];
  const c = flood.claim;
  const claimLine = c
    ? `**Socket cap:** ${fmt(c.requested)} sockets claimed one user (${fmt(c.bound)} bound${c.failed ? `, ${fmt(c.failed)} failed` : ''}); ` +
      `${fmt(c.stillConnected)} still connected at the end (cap ${c.cap ?? flood.cap}) — ${passFail(c.pass)}; ` +
      `server refusals: ${refusalList(c.refusals)}.`
    : '**Socket cap:** not run.';
  return [
    `## Flood: one client against the default limits, ${flood.seconds} s, while an observer pair exchanges a message every 50 ms`,
    '',
    '(a) a bound socket emits send_message unpaced; (b) a socket that never sends connect_user emits the same ' +
      '(each refused). Each on a fresh product process with the default limits; a flooder the server ' +
      'disconnects comes back after 1 s and floods again. RSS peak is sampled every 100 ms.',
    '',
    table(['', '(a) send_message flood', '(b) unbound flood'], rows),
    '',
    claimLine,
  ].join('\n');
}

export function renderMarkdown(result) {
  const m = result.machine;
  const sections = [
    `# Chat server benchmark${result.smoke ? ' (smoke: tiny parameters, numbers mean nothing)' : ''}`,
    '',
    `${result.startedAt}, product commit ${m.commit}, ${Math.round(result.durationSeconds)} s.`,
    '',
    '## Machine',
    '',
    table(
      [
        'CPU',
        'cores',
        'memory',
        'node',
        'Postgres',
        'open files (ulimit -n)',
        'load average at start',
      ],
      [
        [
          m.cpu,
          `${m.cores}`,
          `${m.memoryGb} GB`,
          m.nodeFlags ? `${m.node} ${m.nodeFlags}` : m.node,
          m.postgres,
          `${m.openFilesLimit}`,
          m.loadAverage,
        ],
      ],
    ),
    '',
    ...(result.relay || result.product
      ? [ladderSection(result), '', verdictLine(result)]
      : ['## Send ladder', '', 'Not run.']),
    '',
    idleSection(result.idle),
    '',
    readsSection(result.reads),
    '',
    pushSection(result.push, result.params.ladderPush),
    '',
    floodSection(result.flood),
  ];
  if (result.errors.length) {
    sections.push('', '## Errors', '', ...result.errors.map((error) => `- ${error}`));
  }
  return sections.join('\n') + '\n';
}
