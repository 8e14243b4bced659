import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsLegacyId } from '../../common/legacy-id.js';
import { DEVICE_PLATFORMS, type DevicePlatform } from '../push-device.entity.js';
import { MAX_DEVICES_PER_USER } from '../push.repository.js';

/** FCM and APNs tokens are printable ASCII without spaces, well under this. */
export const DEVICE_TOKEN_MAX = 4096;
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const TOKEN_MESSAGE =
  'token must be a device token: 1 to 4096 printable ASCII characters, no spaces';

/** One device of `PUT /admin/users/:id/devices`. */
export class DeviceDto {
  @MaxLength(DEVICE_TOKEN_MAX, { message: TOKEN_MESSAGE })
  @Matches(TOKEN_PATTERN, { message: TOKEN_MESSAGE })
  token: string;

  @IsIn(DEVICE_PLATFORMS, { message: `platform must be one of ${DEVICE_PLATFORMS.join(', ')}` })
  platform: DevicePlatform;
}

/** Body of `PUT /admin/users/:id/devices`: the user's devices, replacing the ones known. */
export class ReplaceDevicesDto {
  @IsArray()
  @ArrayMaxSize(MAX_DEVICES_PER_USER)
  @ValidateNested({ each: true })
  @Type(() => DeviceDto)
  devices: DeviceDto[];
}

/** register_device `{userId, token, platform}`: adds one device of the calling user. */
export class RegisterDeviceDto {
  @IsLegacyId()
  userId: number;

  @MaxLength(DEVICE_TOKEN_MAX, { message: TOKEN_MESSAGE })
  @Matches(TOKEN_PATTERN, { message: TOKEN_MESSAGE })
  token: string;

  @IsIn(DEVICE_PLATFORMS, { message: `platform must be one of ${DEVICE_PLATFORMS.join(', ')}` })
  platform: DevicePlatform;
}
