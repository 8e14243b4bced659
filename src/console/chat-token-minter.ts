import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AppConfig } from '../config/app-config.js';
import type { AuthMode } from '../config/auth-config.js';

/** How long a token minted for the console's chat panes lives. */
export const CHAT_TOKEN_TTL_S = 15 * 60;

/**
 * What the console's chat panes need to connect as a user, by AUTH_MODE:
 * - `none`: legacy mode, or optional mode without a key the server holds:
 *   tokenless sockets bind with connect_user as the apps' do;
 * - `minted`: a token mode with AUTH_JWT_SECRET: the server signs a
 *   short-lived token itself (HS256, the key it verifies with);
 * - `unavailable`: required mode with a public key or a JWKS: only the
 *   identity provider can sign, so the console cannot chat.
 */
export type ChatIdentity = 'none' | 'minted' | 'unavailable';

@Injectable()
export class ChatTokenMinter {
  constructor(private readonly config: AppConfig) {}

  get authMode(): AuthMode {
    return this.config.auth.mode;
  }

  get identity(): ChatIdentity {
    const { mode, keySource } = this.config.auth;
    if (mode === 'legacy') return 'none';
    if (keySource?.kind === 'secret') return 'minted';
    return mode === 'optional' ? 'none' : 'unavailable';
  }

  /** A token for `userId`, valid CHAT_TOKEN_TTL_S; undefined when this mode mints none. */
  async mint(userId: number): Promise<{ token: string; expiresAt: number } | undefined> {
    const { keySource, issuer, audience } = this.config.auth;
    if (this.identity !== 'minted' || keySource?.kind !== 'secret') return undefined;
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = now + CHAT_TOKEN_TTL_S;
    let jwt = new SignJWT({ console: true })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(userId))
      .setIssuedAt(now)
      .setExpirationTime(expiresAt);
    if (issuer) jwt = jwt.setIssuer(issuer);
    if (audience) jwt = jwt.setAudience(audience);
    return { token: await jwt.sign(keySource.secret), expiresAt };
  }
}
