/**
 * The ban rule, in one place: SQL that is true while `user` is banned (a ban
 * whose `until` has passed bans nobody). The send statement refuses a banned
 * sender with it, so nothing a banned user sends is stored even on a node
 * that has not heard of the ban yet.
 */
export function userBannedSql(user: string): string {
  // A scalar sub-select, not EXISTS: never a hashed subplan reading every ban (see blockRefusalSql).
  return `COALESCE((SELECT true FROM bans bn
    WHERE bn.user_id = ${user} AND (bn.until IS NULL OR bn.until > now()) LIMIT 1), false)`;
}

/** The send statement's refusal for a banned sender. */
export const BANNED_REFUSAL = 'banned';
export type BanRefusal = typeof BANNED_REFUSAL;

/** What a banned user's sockets are told (exception), before they are disconnected. */
export const ACCOUNT_SUSPENDED = 'account suspended';

/** What a banned user's connect_user, handshake or send is refused with. */
export function suspendedMessage(until: number | null): string {
  return until === null
    ? ACCOUNT_SUSPENDED
    : `${ACCOUNT_SUSPENDED} until ${new Date(until * 1000).toISOString()}`;
}
