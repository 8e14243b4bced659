import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Param,
  Put,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { parseLegacyId } from '../common/legacy-id.js';
import { AdminActor } from './admin-actor.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { UpsertUserDto } from './dto/upsert-user.dto.js';
import { ProfileSync } from './profile-sync.js';
import { Profile, UsersService } from './users.service.js';

/** How the apps' main API keeps chat profiles in step (contract, "HTTP beside the socket"). */
@ApiTags('admin: users')
@ApiBearerAuth()
@Controller('admin/users')
@UseGuards(AdminTokenGuard)
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly profileSync: ProfileSync,
  ) {}

  @Put(':id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create or replace a profile',
    description:
      'How the apps’ main API keeps chat profiles in step. name 1–100 characters; image optional, null means "".',
  })
  async upsert(
    @Param('id') rawId: string,
    @Body(new ValidationPipe({ transform: true, whitelist: true })) body: UpsertUserDto,
    @AdminActor() actor: string,
  ): Promise<Profile> {
    const id = parseLegacyId(rawId);
    if (id === undefined) {
      throw new BadRequestException('id must be a whole number from 1 to 2147483647');
    }
    const profile = await this.users.saveProfileAsAdmin(actor, id, body.name, body.image ?? '');
    await this.profileSync.changedHere(id);
    return profile;
  }
}
