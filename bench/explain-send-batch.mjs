// EXPLAIN ANALYZE of the send path's batch statement, for work on its plan.
// Writes rows: point it at a scratch database the migrations ran on.
//   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch \
//     node bench/explain-send-batch.mjs [messages=500] [pairs=100] [runs=5]   (SHOW=1 prints the last plan)
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SESSION_OPTIONS } from '../dist/database/data-source-options.js';
import { STORE_BATCH_SQL } from '../dist/messages/send-batcher.js';

const [messages = 500, pairCount = 100, runs = 5] = process.argv.slice(2).map(Number);
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL (a scratch database) is required');
// The server's session settings (JIT off), so the plan and its time are the server's.
const client = new pg.Client({
  connectionString: process.env.DATABASE_URL,
  options: SESSION_OPTIONS,
});
await client.connect();
await client.query(
  `INSERT INTO users (id, name) SELECT g, 'user ' || g FROM generate_series(1, $1::integer) g ON CONFLICT DO NOTHING`,
  [2 * pairCount],
);
const times = [];
for (let run = 0; run < runs; run++) {
  const input = Array.from({ length: messages }, (_, ord) => {
    const pair = ord % pairCount;
    return {
      ord,
      message_key: randomUUID(),
      client_message_id: null,
      sender_id: 2 * pair + 1,
      receiver_id: 2 * pair + 2,
      message: `hello ${ord}`,
      message_type: 0,
      created: Date.now(),
    };
  });
  const result = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${STORE_BATCH_SQL}`, [
    JSON.stringify(input),
    null,
  ]);
  const plan = result.rows.map((row) => row['QUERY PLAN']).join('\n');
  times.push(Number(/Execution Time: ([\d.]+)/.exec(plan)[1]));
  if (run === runs - 1 && process.env.SHOW) console.log(plan);
}
console.log(
  `${messages} messages over ${pairCount} conversations: execution ms per run ${times.join(' ')}`,
);
await client.end();
