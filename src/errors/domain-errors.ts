/**
 * What a service refuses, in domain terms: services throw these and never a
 * transport's exception. Each transport maps them once: the socket layer
 * into the contract's `exception` answer with the same `message`
 * (LegacyExceptionFilter), the HTTP API into a status (DomainErrorHttpFilter).
 * The message is the client-facing text: keep it worded for a client developer.
 */
export type DomainErrorKind =
  'not_found' | 'blocked' | 'invalid' | 'forbidden' | 'conflict' | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An event or request names a user the chat server does not know (contract, "HTTP beside the socket"). */
export class UnknownUserError extends DomainError {
  readonly kind = 'not_found';

  constructor(readonly userId: number) {
    super(`user ${userId} does not exist`);
  }
}

/**
 * A block stands between the two users (texts: ModerationService's YOU_BLOCKED,
 * BLOCKED_BY). send_message answers a block with `new_message
 * {success_message}`, not `exception` (contract, "Semantics"), so it returns
 * the refusal as a result; this is for paths that refuse outright.
 */
export class BlockedError extends DomainError {
  readonly kind = 'blocked';
}

/** A request that no state could make valid (the socket layer's pipes refuse malformed payloads before). */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid';
}

/** Acting as someone else: another user than the socket is bound to, or before binding. */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
}

/** Not carried out, or not confirmed, because something the server depends on did not answer. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
}

/** The request names something that does not exist (a report, on the admin API). */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

/** The request does not fit the current state (a report resolved already). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}
