import { IsOptional } from 'class-validator';
import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyFlag, IsLegacyId, IsTextOfLength } from '../../common/legacy-id.js';
import { MessageType } from '../message.entity.js';

/** Longest message in code points; set from MESSAGE_MAX_LENGTH at start-up. */
export const messageLimits = { maxLength: 10_000 };

/** Longest clientMessageId, in code points (contract, "Idempotent send"). */
export const CLIENT_MESSAGE_ID_MAX_LENGTH = 64;

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

  /**
   * Optional idempotency key (issue 10): a repeat by the same sender with the
   * same value stores nothing and answers the original row. null = absent.
   */
  @IsOptional()
  @IsTextOfLength(1, () => CLIENT_MESSAGE_ID_MAX_LENGTH)
  clientMessageId?: string | null;
}
