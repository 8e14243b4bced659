import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyId } from '../../common/legacy-id.js';

/** read_unread `{userId, user2Id}`: userId read user2Id's messages. */
export class ReadUnreadDto {
  @IsLegacyId()
  userId: number;

  @IsLegacyId()
  @IsDifferentFrom('userId')
  user2Id: number;
}
