import { Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JSONWebKeySet,
  type RemoteJWKSet,
} from 'jose';

/** An unknown `kid` refetches the key set at most this often (issue 9: once a minute). */
export const JWKS_REFETCH_COOLDOWN_MS = 60_000;
/** Keys are refetched this long after the last fetch, so a key the provider withdrew stops working. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** After a failed fetch, the next one waits this long: a provider outage is not hammered per handshake. */
export const JWKS_RETRY_AFTER_FAILURE_MS = 10_000;
export const JWKS_FETCH_TIMEOUT_MS = 5_000;

/** The key set could not be fetched (network, status, body). */
export class KeySetUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeySetUnavailableError';
  }
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The signing keys an identity provider publishes at AUTH_JWKS_URL, through
 * jose's remote key set: cached, refetched after JWKS_MAX_AGE_MS or on an
 * unknown `kid` (at most once per JWKS_REFETCH_COOLDOWN_MS, so a rotated key
 * is accepted within a minute and random kids cannot make us flood the
 * provider). Two additions around it:
 * - while the provider cannot be reached, the keys last fetched keep
 *   verifying (a provider outage does not log everyone out of chat);
 * - after a failed fetch the next waits JWKS_RETRY_AFTER_FAILURE_MS.
 */
export class JwksKeys {
  private readonly logger = new Logger('Auth');
  private readonly remote: RemoteJWKSet;
  private retryAt = 0;
  /** The last fetched key set, for when the provider is unreachable; rebuilt after each fetch. */
  private lastKnown?: LocalKeySet;

  constructor(private readonly url: URL) {
    this.remote = createRemoteJWKSet(url, {
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
      [customFetch]: this.fetchKeySet,
    });
  }

  /** jose's key resolver (JWTVerifyGetKey). */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    try {
      return await this.remote(header, token);
    } catch (error) {
      if (!(error instanceof KeySetUnavailableError || error instanceof errors.JWKSInvalid)) {
        throw error;
      }
      const known = this.remote.jwks();
      if (!known) throw new KeySetUnavailableError(error.message);
      this.lastKnown ??= createLocalJWKSet(known);
      return this.lastKnown(header, token);
    }
  };

  private readonly fetchKeySet: FetchImplementation = async (url, options) => {
    const now = Date.now();
    if (now < this.retryAt) {
      throw new KeySetUnavailableError(
        `the last fetch of AUTH_JWKS_URL failed; next try in ${Math.ceil((this.retryAt - now) / 1000)} s`,
      );
    }
    try {
      const response = await fetch(url, options);
      if (response.status !== 200) {
        throw new KeySetUnavailableError(`AUTH_JWKS_URL answered HTTP ${response.status}`);
      }
      const body = await response.text();
      const keySet = JSON.parse(body) as JSONWebKeySet;
      if (!Array.isArray(keySet?.keys)) {
        throw new KeySetUnavailableError('AUTH_JWKS_URL did not answer a JSON Web Key Set');
      }
      this.lastKnown = undefined;
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (error) {
      this.retryAt = Date.now() + JWKS_RETRY_AFTER_FAILURE_MS;
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `could not fetch the signing keys from ${this.url.origin}${this.url.pathname}: ${message}; ` +
          `${this.remote.jwks() ? 'the keys fetched before stay in use' : 'token handshakes are refused'} until a fetch succeeds`,
      );
      throw error instanceof KeySetUnavailableError ? error : new KeySetUnavailableError(message);
    }
  };
}
