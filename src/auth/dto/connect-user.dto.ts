import { IsLegacyId } from '../../common/legacy-id.js';

/** connect_user `{userId}` */
export class ConnectUserDto {
  @IsLegacyId()
  userId: number;
}
