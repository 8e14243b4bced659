import {
  Body,
  ConflictException,
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config.js';
import { DomainEvents } from '../events/domain-events.js';
import { AdminActor } from '../users/admin-actor.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import { DEMO_USERS, UsersService } from '../users/users.service.js';
import { ChatTokenMinter, type ChatIdentity } from './chat-token-minter.js';
import './console-events.js';
import { ChatTokenDto } from './dto/chat-token.dto.js';
import { NodeOverview, type Overview } from './node-overview.js';

export interface ConsoleSettings {
  authMode: string;
  /** How the chat panes get their identity (see ChatTokenMinter). */
  chatIdentity: ChatIdentity;
  socketPath: string;
  /** Users to offer in "try the chat" (the demo users, when DEMO_USERS is on). */
  suggestedUsers: Array<{ id: number; name: string }>;
}

export interface ChatIdentityAnswer {
  userId: number;
  name: string;
  image: string;
  /** Put in the handshake's `auth.token`; null when the socket binds with connect_user alone. */
  token: string | null;
  expiresAt: number | null;
}

/** What the web console (/console) reads besides the admin API (README "Console"). */
@ApiTags('admin: console')
@ApiBearerAuth()
@Controller('admin')
@UseGuards(AdminTokenGuard)
export class ConsoleController {
  constructor(
    private readonly config: AppConfig,
    private readonly overviews: NodeOverview,
    private readonly minter: ChatTokenMinter,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
  ) {}

  @Get('overview')
  @ApiOperation({
    summary: 'Nodes, connected sockets, messages/s and the push queue',
    description:
      'The figures of /metrics, from this node and every other node that answers within 2 s through Redis (chat_connected_sockets, chat_messages_persisted_total and its rise over the last 10 s, chat_redis_up, the chat_push_* metrics when present).',
  })
  @Header('Cache-Control', 'no-store')
  overview(): Promise<Overview> {
    return this.overviews.overview();
  }

  @Get('console/settings')
  @ApiOperation({
    summary: 'What the web console needs to connect its chat panes',
    description:
      'authMode; chatIdentity: none (sockets bind with connect_user), minted (POST /admin/console/chat-token signs a token) or unavailable (AUTH_MODE=required with a key only the identity provider holds); socketPath; suggestedUsers (the demo users with DEMO_USERS).',
  })
  @Header('Cache-Control', 'no-store')
  settings(): ConsoleSettings {
    return {
      authMode: this.minter.authMode,
      chatIdentity: this.minter.identity,
      socketPath: this.config.socketPath,
      suggestedUsers: this.config.demoUsers ? DEMO_USERS.map(({ id, name }) => ({ id, name })) : [],
    };
  }

  /** The profile the pane shows and, in token modes with AUTH_JWT_SECRET, a short-lived token. */
  @Post('console/chat-token')
  @ApiOperation({
    summary:
      'A chat pane’s identity: the profile and, in token modes with AUTH_JWT_SECRET, a 15-minute token',
    description:
      'token is null when the socket binds with connect_user alone (legacy mode, or optional mode without AUTH_JWT_SECRET); 409 with AUTH_MODE=required and a public key or JWKS; 404 for an unknown user. Minting is an admin action: it is in the audit trail.',
  })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async chatToken(
    @Body(new ValidationPipe({ whitelist: true })) body: ChatTokenDto,
    @AdminActor() actor: string,
  ): Promise<ChatIdentityAnswer> {
    if (this.minter.identity === 'unavailable') {
      throw new ConflictException(
        'the console cannot sign chat tokens: AUTH_MODE=required with a public key or a JWKS; use AUTH_JWT_SECRET, or AUTH_MODE optional or legacy, to try the chat',
      );
    }
    // Throws UnknownUserError (404) for a user the server does not have.
    const [profile] = await this.users.requireProfiles(body.userId);
    const minted = await this.minter.mint(profile.id);
    if (minted) {
      this.events.publish('console.chat_token_minted', {
        actor,
        userId: profile.id,
        details: { expiresAt: minted.expiresAt },
      });
    }
    return {
      userId: profile.id,
      name: profile.name,
      image: profile.image,
      token: minted?.token ?? null,
      expiresAt: minted?.expiresAt ?? null,
    };
  }
}
