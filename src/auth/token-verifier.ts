import {
  errors,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type KeyObject,
} from 'jose';
import { parseLegacyId, MAX_ID } from '../common/legacy-id.js';
import type { AuthConfig, AuthKeySource } from '../config/auth-config.js';
import { JwksKeys, KeySetUnavailableError } from './jwks-keys.js';
import { TokenRefusedError } from './token-refusal.js';

/** Longer than any real JWT; refused before parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/** Who a verified token speaks for. */
export interface VerifiedToken {
  userId: number;
  /** `exp` in unix seconds; undefined for a token without one (it never expires). */
  expiresAt?: number;
}

/**
 * Checks a JWT with jose (signature, algorithm allow-list, exp, nbf, iss, aud)
 * and reads its subject as a user id. Throws TokenRefusedError saying why.
 * Never hand-written signature checks: jose does all of it.
 */
export class TokenVerifier {
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;
  /** Set with AUTH_JWKS_URL. */
  readonly jwks?: JwksKeys;

  constructor(config: AuthConfig) {
    const source: AuthKeySource | undefined = config.keySource;
    if (!source) throw new Error('TokenVerifier needs AUTH_MODE optional or required with a key');
    if (source.kind === 'jwks') {
      this.jwks = new JwksKeys(source.url);
      this.key = this.jwks.getKey;
    } else {
      this.key = source.kind === 'secret' ? source.secret : source.key;
    }
    this.options = {
      // The key source decides, never the token: "none", or HS256 signed with a public key, fail here.
      algorithms: source.algorithms,
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceS,
    };
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new TokenRefusedError(
        'auth_invalid',
        `invalid token: longer than ${MAX_TOKEN_LENGTH} characters`,
      );
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, this.options));
    } catch (error) {
      throw refusalOf(error);
    }
    const { sub, exp } = payload;
    if (sub === undefined) {
      throw new TokenRefusedError('auth_invalid_subject', 'invalid subject: the token has no sub');
    }
    const userId = typeof sub === 'string' ? parseLegacyId(sub) : undefined;
    // Only the canonical spelling ("1", never "01"): one user has exactly one
    // subject, so whatever keys on the subject (revocation lists, audit) sees one user.
    if (userId === undefined || String(userId) !== sub) {
      throw new TokenRefusedError(
        'auth_invalid_subject',
        `invalid subject: sub must be a user id, written in decimal without leading zeros, from 1 to ${MAX_ID}`,
      );
    }
    return { userId, expiresAt: exp };
  }
}

/** jose's error, in the words the client reads and the metric's reason. */
export function refusalOf(error: unknown): TokenRefusedError {
  if (error instanceof TokenRefusedError) return error;
  if (error instanceof KeySetUnavailableError) {
    return new TokenRefusedError(
      'auth_keys_unavailable',
      'could not check the token: the signing keys are unavailable right now; try again later',
    );
  }
  if (error instanceof errors.JWTExpired) {
    return new TokenRefusedError('auth_expired', 'token expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return new TokenRefusedError(
          'auth_not_yet_valid',
          'token not yet valid (nbf is in the future)',
        );
      case 'iss':
        return new TokenRefusedError('auth_wrong_issuer', 'wrong issuer (iss)');
      case 'aud':
        return new TokenRefusedError('auth_wrong_audience', 'wrong audience (aud)');
      default:
        return new TokenRefusedError('auth_invalid', `invalid token: bad ${error.claim} claim`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRefusedError('auth_invalid_signature', 'invalid signature');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenRefusedError(
      'auth_invalid_signature',
      'invalid signature: no published key matches the token (kid, alg)',
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new TokenRefusedError(
      'auth_invalid_algorithm',
      'invalid signature: the token is signed with an algorithm this server does not accept',
    );
  }
  // Malformed JWS/JWT, a payload that is not JSON, a key that does not fit the algorithm ...
  return new TokenRefusedError('auth_invalid', 'invalid token: not a well-formed signed JWT');
}
