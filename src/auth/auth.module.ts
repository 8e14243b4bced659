import { Module } from '@nestjs/common';
import { BansModule } from '../bans/bans.module.js';
import { AppConfig } from '../config/app-config.js';
import { PresenceModule } from '../presence/presence.module.js';
import { UsersModule } from '../users/users.module.js';
import { HandshakeAuthMiddleware } from './handshake-auth.middleware.js';
import { PresenceGateway } from './presence.gateway.js';
import { TokenAuthGateway } from './token-auth.gateway.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Who a socket is: connect_user (PresenceGateway), and token identity
 * (AUTH_MODE, README "Security"): the handshake check, the bind at connect and
 * the expiry. In legacy mode no token is checked and no key is loaded.
 */
@Module({
  imports: [UsersModule, PresenceModule, BansModule],
  providers: [
    {
      provide: TokenVerifier,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.auth.mode === 'legacy' ? null : new TokenVerifier(config.auth),
    },
    HandshakeAuthMiddleware,
    TokenAuthGateway,
    PresenceGateway,
  ],
})
export class AuthModule {}
