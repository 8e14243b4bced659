import { Body, Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminActor } from '../users/admin-actor.js';
import { AdminIdPipe, adminValidation } from '../users/admin-id.pipe.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import { BanUserDto } from './dto/ban-user.dto.js';
import { BansService } from './bans.service.js';
import type { BanState } from './bans.repository.js';

/** What the ban endpoints answer. */
export interface BanAnswer {
  userId: number;
  banned: boolean;
  ban: BanState | null;
}

@ApiTags('admin: bans')
@ApiBearerAuth()
@Controller('admin/users')
@UseGuards(AdminTokenGuard)
export class BansController {
  constructor(private readonly bans: BansService) {}

  @Put(':id/ban')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ban a user',
    description:
      'Replaces a ban in force. Every socket of the user, on every node, gets `exception` "account suspended" and is disconnected before this answers; connect_user, token handshakes and sends are refused until the ban ends (`until`, or never).',
  })
  async ban(
    @Param('id', AdminIdPipe) id: number,
    @Body(adminValidation()) body: BanUserDto,
    @AdminActor() actor: string,
  ): Promise<BanAnswer> {
    const ban = await this.bans.ban(actor, id, body.reason, body.until);
    return { userId: id, banned: true, ban };
  }

  @Delete(':id/ban')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift a user’s ban (answers 200 also when none was in force)' })
  async unban(
    @Param('id', AdminIdPipe) id: number,
    @AdminActor() actor: string,
  ): Promise<BanAnswer & { lifted: boolean }> {
    const lifted = await this.bans.unban(actor, id);
    return { userId: id, banned: false, ban: null, lifted: lifted !== undefined };
  }
}
