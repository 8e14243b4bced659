/**
 * Why a handshake was refused: the `reason` label of chat_refusals_total
 * (README "Security"), one per thing the client can act on.
 */
export type AuthRefusalReason =
  | 'auth_missing'
  | 'auth_invalid'
  | 'auth_expired'
  | 'auth_not_yet_valid'
  | 'auth_invalid_signature'
  | 'auth_invalid_algorithm'
  | 'auth_wrong_issuer'
  | 'auth_wrong_audience'
  | 'auth_invalid_subject'
  | 'auth_unknown_user'
  | 'auth_keys_unavailable'
  /** The token's user is banned (README "Moderation"). */
  | 'auth_banned'
  /** A server fault while checking (the database did not answer). */
  | 'auth_error';

/**
 * A token (or its absence) that the server does not accept. `message` is what
 * the client reads in `connect_error`: plain words, never the token itself.
 */
export class TokenRefusedError extends Error {
  constructor(
    readonly reason: AuthRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRefusedError';
  }
}
