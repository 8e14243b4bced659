import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { ChatTokenMinter } from './chat-token-minter.js';
import { ConsoleAssetsController } from './console-assets.controller.js';
import { ConsoleController } from './console.controller.js';
import { NodeOverview } from './node-overview.js';

/**
 * The web console (issue 13, README "Console"): its page and bundle at
 * /console, and the admin endpoints only it needs (overview, settings, chat
 * tokens). Moderation itself is the admin API's, used by the page as is.
 */
@Module({
  imports: [UsersModule],
  controllers: [ConsoleController, ConsoleAssetsController],
  providers: [NodeOverview, ChatTokenMinter],
})
export class ConsoleModule {}
