/**
 * Clearing a conversation (delete_chat), in one place: every statement and
 * predicate of the rule "a user clears a conversation for themselves only".
 * A message row carries `deleted_id`: 0, or the one user who cleared it; a
 * conversation carries `cleared_by_low/high` for its two users. The send
 * statement, the history and the listing use these fragments inline.
 */

/** Message row `m` is still visible to user `user` (they have not cleared it). */
export function visibleToSql(m: string, user: string): string {
  return `${m}.deleted_id <> ${user}`;
}

/** What a new message does to its conversation row: visible again to both users. */
export const REOPEN_CONVERSATION_SQL = `cleared_by_low = false, cleared_by_high = false`;

/**
 * The clear itself, for conversation $1, requester $2 and other user $3, run
 * after the conversation row is locked: what the other user already cleared
 * is cleared by both and deleted for good; the rest is marked cleared by the
 * requester; the conversation is hidden from them. One statement (its parts
 * touch disjoint rows, in one snapshot).
 */
export const CLEAR_SQL = `
WITH cleared_by_both AS (
  DELETE FROM messages WHERE chat_constant_id = $1 AND deleted_id = $3::integer RETURNING id
),
cleared_by_requester AS (
  UPDATE messages SET deleted_id = $2 WHERE chat_constant_id = $1 AND deleted_id = 0 RETURNING 1
)
UPDATE chat_constants SET
  cleared_by_low = cleared_by_low OR user_low_id = $2,
  cleared_by_high = cleared_by_high OR user_high_id = $2,
  -- The conversation's copy of its last message goes with the message when that is deleted for good.
  last_message = CASE WHEN last_message_id IN (SELECT id FROM cleared_by_both) THEN NULL ELSE last_message END,
  last_message_type = CASE WHEN last_message_id IN (SELECT id FROM cleared_by_both)
    THEN NULL ELSE last_message_type END,
  last_message_created = CASE WHEN last_message_id IN (SELECT id FROM cleared_by_both)
    THEN NULL ELSE last_message_created END
WHERE id = $1`;
