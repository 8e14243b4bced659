/**
 * The one rule for appending to feeds, as CTEs that go into the statement
 * that makes the change, so the change and its feed entries commit together
 * (or not at all).
 *
 * The statement defines `feed_source(user_id integer, ord bigint, event text,
 * data text, message_id integer)`: one row per event per addressed user, `ord`
 * ordering a user's events. The fragment moves each user's head by the number
 * of their events (in user id order: one lock order for every statement, so
 * concurrent appends never deadlock) and inserts the events at the positions
 * it freed; `feed_appended(user_id, pos, message_id)` returns them.
 *
 * Heads and counts are looked up through one jsonb object each (a binary
 * search per row) instead of joins of CTEs, which the planner, blind to their
 * sizes, would run as nested loops.
 */
export const FEED_APPEND_CTES = `
feed_counts AS MATERIALIZED (
  SELECT user_id, count(*)::integer AS n FROM feed_source GROUP BY user_id
),
feed_heads_moved AS (
  INSERT INTO feed_heads AS h (user_id, last_pos)
  SELECT user_id, n FROM feed_counts ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE SET last_pos = h.last_pos + EXCLUDED.last_pos
  RETURNING user_id, last_pos
),
feed_first AS MATERIALIZED (
  SELECT jsonb_object_agg(m.user_id::text, m.last_pos) AS last_pos,
         (SELECT jsonb_object_agg(user_id::text, n) FROM feed_counts) AS n
  FROM feed_heads_moved m
),
feed_appended AS (
  INSERT INTO feed_events (user_id, pos, event, data, message_id, created)
  SELECT s.user_id,
    ((SELECT last_pos FROM feed_first) ->> s.user_id::text)::bigint
      - ((SELECT n FROM feed_first) ->> s.user_id::text)::bigint
      + row_number() OVER (PARTITION BY s.user_id ORDER BY s.ord),
    s.event, s.data, s.message_id, extract(epoch FROM now())::bigint
  FROM feed_source s
  RETURNING user_id, pos, message_id
)`;

/** `feed_appended` as one JSON object text, user id -> position (for statements with one event per user). */
export const FEED_POSITIONS_SQL = `(SELECT json_object_agg(user_id, pos) FROM feed_appended)::text`;
