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
import { AppConfig } from '../config/app-config.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import { DEMO_USERS, UsersService } from '../users/users.service.js';
import { ChatTokenMinter, type ChatIdentity } from './chat-token-minter.js';
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
@Controller('admin')
@UseGuards(AdminTokenGuard)
export class ConsoleController {
  constructor(
    private readonly config: AppConfig,
    private readonly overviews: NodeOverview,
    private readonly minter: ChatTokenMinter,
    private readonly users: UsersService,
  ) {}

  @Get('overview')
  @Header('Cache-Control', 'no-store')
  overview(): Promise<Overview> {
    return this.overviews.overview();
  }

  @Get('console/settings')
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
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async chatToken(
    @Body(new ValidationPipe({ whitelist: true })) body: ChatTokenDto,
  ): Promise<ChatIdentityAnswer> {
    if (this.minter.identity === 'unavailable') {
      throw new ConflictException(
        'the console cannot sign chat tokens: AUTH_MODE=required with a public key or a JWKS; use AUTH_JWT_SECRET, or AUTH_MODE optional or legacy, to try the chat',
      );
    }
    // Throws UnknownUserError (404) for a user the server does not have.
    const [profile] = await this.users.requireProfiles(body.userId);
    const minted = await this.minter.mint(profile.id);
    return {
      userId: profile.id,
      name: profile.name,
      image: profile.image,
      token: minted?.token ?? null,
      expiresAt: minted?.expiresAt ?? null,
    };
  }
}
