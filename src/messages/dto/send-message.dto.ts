import { IsOptional } from 'class-validator';
import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyFlag, IsLegacyId, IsTextOfLength } from '../../common/legacy-id.js';
import { MessageType } from '../message.entity.js';

/** Longest clientMessageId, in code points (contract, "Idempotent send"). */
export const CLIENT_MESSAGE_ID_MAX_LENGTH = 64;

/**
 * send_message `{senderId, receiverId, messageType, message}`, whose longest
 * `message` (code points) is MESSAGE_MAX_LENGTH: SendMessagePipe builds it
 * from the injected AppConfig, so no setting lives in module state.
 */
export function sendMessageDtoClass(messageMaxLength: number) {
  class SendMessageDto {
    @IsLegacyId()
    senderId: number;

    @IsLegacyId()
    @IsDifferentFrom('senderId')
    receiverId: number;

    /** 0 text, 1 image, 2 video (legacy-api.txt). */
    @IsLegacyFlag([MessageType.Text, MessageType.Image, MessageType.Video])
    messageType: MessageType;

    @IsTextOfLength(1, () => messageMaxLength)
    message: string;

    /**
     * Optional idempotency key (issue 10): a repeat by the same sender with the
     * same value stores nothing and answers the original row. null = absent.
     */
    @IsOptional()
    @IsTextOfLength(1, () => CLIENT_MESSAGE_ID_MAX_LENGTH)
    clientMessageId?: string | null;
  }
  return SendMessageDto;
}

export type SendMessageDtoClass = ReturnType<typeof sendMessageDtoClass>;
export type SendMessageDto = InstanceType<SendMessageDtoClass>;
