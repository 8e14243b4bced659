import { IsLegacyId } from '../../common/legacy-id.js';

/** chat_listing `{userId}` */
export class ChatListingDto {
  @IsLegacyId()
  userId: number;
}
