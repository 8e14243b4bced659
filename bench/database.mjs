// The bench's own throwaway database and the rows it seeds, written against
// the schema of src/database/migrations (the server creates the tables at
// start-up; seeding runs after that).
import pg from 'pg';

function withDatabase(baseUrl, database) {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Postgres's version string, e.g. "15.20". */
export function postgresVersion(baseUrl) {
  return withClient(withDatabase(baseUrl, 'postgres'), async (client) => {
    const { rows } = await client.query('SHOW server_version');
    return rows[0].server_version;
  });
}

/**
 * Creates `chat_bench_<timestamp>` next to the `postgres` database of
 * `baseUrl`. `drop()` removes it WITH (FORCE), so a server still connected
 * (after a crash) cannot keep it alive; it is safe to call twice.
 */
export async function createBenchDatabase(baseUrl) {
  const name = `chat_bench_${Date.now()}`;
  const adminUrl = withDatabase(baseUrl, 'postgres');
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  let dropped;
  return {
    name,
    url: withDatabase(baseUrl, name),
    drop() {
      dropped ??= withClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
      return dropped;
    },
  };
}

/** Users 1..count, as the admin API would store them (a name and an image URL). */
export function seedUsers(url, count) {
  return withClient(url, (client) =>
    client.query(
      `INSERT INTO users (id, name, image)
       SELECT g, 'Bench user ' || g, 'https://cdn.example.invalid/avatars/' || g || '.png'
       FROM generate_series(1, $1::integer) AS g
       ON CONFLICT (id) DO NOTHING`,
      [count],
    ),
  );
}

/**
 * One conversation between `userA` (low id) and `userB` with `messages`
 * messages alternating between them, a second apart, all unread (the first
 * get_message marks the requester's share read). Returns its id.
 */
async function seedConversation(client, userA, userB, messages, now) {
  const {
    rows: [{ id }],
  } = await client.query(
    `INSERT INTO chat_constants (sender_id, receiver_id, user_low_id, user_high_id, created, updated)
     VALUES ($1, $2, LEAST($1::integer, $2::integer), GREATEST($1::integer, $2::integer), $3, $3)
     RETURNING id`,
    [userA, userB, now - messages],
  );
  await client.query(
    `INSERT INTO messages (chat_constant_id, sender_id, receiver_id, message, message_type, read_status, created, updated)
     SELECT $1, CASE WHEN g % 2 = 0 THEN $2::integer ELSE $3::integer END,
            CASE WHEN g % 2 = 0 THEN $3::integer ELSE $2::integer END,
            'Seeded history message number ' || g || ', about as long as a chat line', 0, 0,
            $5::bigint - $4 + g, $5::bigint - $4 + g
     FROM generate_series(1, $4::integer) AS g`,
    [id, userA, userB, messages, now],
  );
  await setLastMessages(client, [id]);
  return id;
}

/**
 * last_message_id, updated and the copy of the last message (text, type,
 * time) follow the newest message, as the server's send does. A build from
 * before that copy (BENCH_PRODUCT_SCRIPT) has no such columns.
 */
async function setLastMessages(client, conversationIds) {
  const { rows } = await client.query(
    `SELECT 1 FROM information_schema.columns
     WHERE table_name = 'chat_constants' AND column_name = 'last_message'`,
  );
  const copy =
    rows.length > 0
      ? ', last_message = last.message, last_message_type = last.message_type, last_message_created = last.created'
      : '';
  await client.query(
    `UPDATE chat_constants c SET last_message_id = last.id, updated = last.created${copy}
     FROM (SELECT DISTINCT ON (chat_constant_id) chat_constant_id, id, created, message, message_type
           FROM messages WHERE chat_constant_id = ANY($1::integer[])
           ORDER BY chat_constant_id, id DESC) AS last
     WHERE c.id = last.chat_constant_id`,
    [conversationIds],
  );
}

/**
 * The read benchmarks' data (users must exist):
 * - `listing.user` has a conversation with each of `listing.partners` users
 *   (ids following it), 3 messages each, the partner's last one unread;
 * - `page` and `full`: one conversation each of `messages` messages between
 *   `userA` and `userB`.
 * Then VACUUM ANALYZE, as a live database would have statistics.
 */
export function seedReadData(url, { listing, page, full }) {
  return withClient(url, async (client) => {
    const now = Math.floor(Date.now() / 1000);
    const { rows } = await client.query(
      `INSERT INTO chat_constants (sender_id, receiver_id, user_low_id, user_high_id, created, updated)
       SELECT p, $1::integer, LEAST(p, $1::integer), GREATEST(p, $1::integer), $3::bigint - p, $3::bigint - p
       FROM generate_series($1::integer + 1, $1::integer + $2::integer) AS p
       RETURNING id`,
      [listing.user, listing.partners, now],
    );
    const listingIds = rows.map((row) => row.id);
    // Per conversation: partner -> user (read), user -> partner (read), partner -> user (unread).
    await client.query(
      `INSERT INTO messages (chat_constant_id, sender_id, receiver_id, message, message_type, read_status, created, updated)
       SELECT c.id, CASE WHEN k = 2 THEN $2::integer ELSE c.sender_id END,
              CASE WHEN k = 2 THEN c.sender_id ELSE $2::integer END,
              'Seeded listing message ' || k || ' in conversation ' || c.id, 0,
              CASE WHEN k = 3 THEN 0 ELSE 1 END, c.created + k, c.created + k
       FROM chat_constants c, generate_series(1, 3) AS k
       WHERE c.id = ANY($1::integer[])
       ORDER BY c.id, k`,
      [listingIds, listing.user],
    );
    await setLastMessages(client, listingIds);
    await seedConversation(client, page.userA, page.userB, page.messages, now);
    await seedConversation(client, full.userA, full.userB, full.messages, now);
    await client.query('VACUUM ANALYZE');
  });
}
