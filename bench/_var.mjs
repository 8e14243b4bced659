import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { STORE_BATCH_SQL } from '../dist/messages/send-batcher.js';
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
const variants = {
  base: STORE_BATCH_SQL,
  noWhere: STORE_BATCH_SQL.replace('WHERE (SELECT count(*) FROM conversation) >= 0', ''),
};
for (const [name, sql] of Object.entries(variants)) {
  const times = [];
  for (let r = 0; r < (+process.env.RUNS || 5); r++) {
    const input = [{ ord: 0, message_key: randomUUID(), client_message_id: null, sender_id: +process.env.S || 1, receiver_id: +process.env.R || 2, message: 'x', message_type: 0, created: 1 }];
    const t = performance.now();
    await client.query(sql, [JSON.stringify(input), null]);
    times.push((performance.now() - t).toFixed(1));
  }
  console.log(name, times.join(' '));
}
await client.end();
