/**
 * The push queue's part of the send statement (SendBatcher's STORE_BATCH_SQL),
 * so a push is queued in the same transaction as its message: a crash between
 * storing and pushing loses no push, and a refused send (unknown user, block)
 * is not in `rendered`, so it never pushes.
 *
 * `$2` is NULL (no sender configured, or every receiver of the batch online:
 * nothing is inserted) or a jsonb object, message key -> the senders due for
 * that message (PushPlanner.plan). Looked up by key per stored message (a
 * binary search), as the feed looks up its heads, rather than a join of CTEs.
 * The delivery id is the message's key: one per (message, receiver), stable
 * across retries of the statement (ON CONFLICT: a rerun after a lost answer
 * queues nothing twice).
 */
export const PUSH_QUEUE_CTE = `
push_queued AS (
  INSERT INTO push_deliveries (delivery_id, sender, message_id, receiver_id, payload)
  SELECT r.message_key, s.sender, r.id, r.receiver_id, r.row_json
  FROM rendered r, jsonb_array_elements_text($2::jsonb -> r.message_key::text) AS s(sender)
  WHERE $2::jsonb IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
)`;
