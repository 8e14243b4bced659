import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyFlag, IsLegacyId, IsTextOfLength } from '../../common/legacy-id.js';
import { MessageType } from '../message.entity.js';

/** Longest message in code points; set from MESSAGE_MAX_LENGTH at start-up. */
export const messageLimits = { maxLength: 10_000 };

/** send_message `{senderId, receiverId, messageType, message}` */
export class SendMessageDto {
  @IsLegacyId()
  senderId: number;

  @IsLegacyId()
  @IsDifferentFrom('senderId')
  receiverId: number;

  /** 0 text, 1 image, 2 video (legacy-api.txt). */
  @IsLegacyFlag([MessageType.Text, MessageType.Image, MessageType.Video])
  messageType: MessageType;

  @IsTextOfLength(1, () => messageLimits.maxLength)
  message: string;
}
