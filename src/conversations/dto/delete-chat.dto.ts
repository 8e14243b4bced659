import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyId } from '../../common/legacy-id.js';

/** delete_chat `{senderId, receiverId}`: senderId clears the conversation for themself. */
export class DeleteChatDto {
  @IsLegacyId()
  senderId: number;

  @IsLegacyId()
  @IsDifferentFrom('senderId')
  receiverId: number;
}
