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
import { parseLegacyId } from '../common/legacy-id.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import { ReplaceDevicesDto } from './dto/device.dto.js';
import { Device, PushDevicesService } from './push-devices.service.js';

/** The app's main API sets a user's FCM device tokens (README "Push notifications"). */
@Controller('admin/users')
@UseGuards(AdminTokenGuard)
export class PushDevicesController {
  constructor(private readonly devices: PushDevicesService) {}

  @Put(':id/devices')
  @HttpCode(200)
  async replace(
    @Param('id') rawId: string,
    @Body(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
    body: ReplaceDevicesDto,
  ): Promise<{ userId: number; devices: Device[] }> {
    const id = parseLegacyId(rawId);
    if (id === undefined) {
      throw new BadRequestException('id must be a whole number from 1 to 2147483647');
    }
    const devices = await this.devices.replace(
      id,
      body.devices.map(({ token, platform }) => ({ token, platform })),
    );
    return { userId: id, devices };
  }
}
