import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyFlag, IsLegacyId } from '../../common/legacy-id.js';

/** block_user `{userId, user2Id, status}`: status 1 blocks, 0 unblocks. */
export class BlockUserDto {
  @IsLegacyId()
  userId: number;

  @IsLegacyId()
  @IsDifferentFrom('userId')
  user2Id: number;

  @IsLegacyFlag([0, 1])
  status: 0 | 1;
}
