import { Controller, Delete, Get, HttpCode, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminActor } from '../users/admin-actor.js';
import { AdminIdPipe } from '../users/admin-id.pipe.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import { ErasureService, type ErasureResult, type UserDetails } from './erasure.service.js';

@ApiTags('admin: users')
@ApiBearerAuth()
@Controller('admin/users')
@UseGuards(AdminTokenGuard)
export class AdminUsersController {
  constructor(private readonly erasure: ErasureService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'A user: profile, ban in force, counts, online now',
    description:
      'counts: conversations, messagesSent, reportsAgainst, openReportsAgainst, reportsMade, blocksMade, blockedBy, and whatever other modules register.',
  })
  details(@Param('id', AdminIdPipe) id: number): Promise<UserDetails> {
    return this.erasure.details(id);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erase a user',
    description:
      'Removes the profile, feed entries, blocks and reports they made, and all their conversations with every message in them, in one transaction; answers the rows removed by table; every socket of the user gets `exception` "account deleted" and is disconnected. Reports against them and the audit trail remain (README "Moderation").',
  })
  erase(@Param('id', AdminIdPipe) id: number, @AdminActor() actor: string): Promise<ErasureResult> {
    return this.erasure.erase(actor, id);
  }
}
