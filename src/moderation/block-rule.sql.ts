/**
 * The block rule, in one place: SQL that names why a message from `sender` to
 * `receiver` may not be sent ('you_blocked' when the sender blocks the
 * receiver, which wins when both do (contract, "Semantics"); 'blocked_by'
 * when the receiver blocks the sender), or NULL. The send statement runs it
 * per message; ModerationService.blockRefusal runs it alone.
 *
 * Scalar sub-selects, not EXISTS: Postgres may run an EXISTS inside an
 * expression as a hashed subplan, which reads the whole table on every run of
 * the statement (it did for users, below the send statement's 100-row guess
 * for its input); a scalar sub-select is one index probe per message.
 */
export function blockRefusalSql(sender: string, receiver: string): string {
  return `CASE
    WHEN (SELECT true FROM blocks b WHERE b.blocker_id = ${sender} AND b.blocked_id = ${receiver} LIMIT 1)
      THEN 'you_blocked'
    WHEN (SELECT true FROM blocks b WHERE b.blocker_id = ${receiver} AND b.blocked_id = ${sender} LIMIT 1)
      THEN 'blocked_by'
  END`;
}

export type BlockRefusal = 'you_blocked' | 'blocked_by';

export const YOU_BLOCKED = 'You Have Blocked This User';
export const BLOCKED_BY = 'You Are Blocked By This User';

/** The legacy answer to a send refused by a block (new_message `success_message`). */
export function blockRefusalMessage(refusal: BlockRefusal): string {
  return refusal === 'you_blocked' ? YOU_BLOCKED : BLOCKED_BY;
}
