import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PresenceModule } from '../presence/presence.module.js';
import { UsersModule } from '../users/users.module.js';
import { HandshakeAuthMiddleware } from './handshake-auth.middleware.js';
import { TokenAuthGateway } from './token-auth.gateway.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Token identity (AUTH_MODE, README "Security"): the handshake check, the
 * bind at connect and the expiry. In legacy mode nothing is checked and no
 * key is loaded.
 */
@Module({
  imports: [UsersModule, PresenceModule],
  providers: [
    {
      provide: TokenVerifier,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.auth.mode === 'legacy' ? null : new TokenVerifier(config.auth),
    },
    HandshakeAuthMiddleware,
    TokenAuthGateway,
  ],
})
export class AuthModule {}
