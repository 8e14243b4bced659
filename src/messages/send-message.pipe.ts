import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { parseLegacyFlag, parseLegacyId } from '../common/legacy-id.js';
import { LegacyPayloadPipe } from '../common/legacy-payload.pipe.js';
import { legacyValidationPipe } from '../common/legacy-validation.pipe.js';
import { AppConfig } from '../config/app-config.js';
import {
  CLIENT_MESSAGE_ID_MAX_LENGTH,
  type SendMessageDto,
  type SendMessageDtoClass,
  sendMessageDtoClass,
} from './dto/send-message.dto.js';
import { MessageType } from './message.entity.js';

const MESSAGE_TYPES = [MessageType.Text, MessageType.Image, MessageType.Video];
/** More fields than any app sends: such a payload takes the full path. */
const FAST_PATH_MAX_FIELDS = 16;
const NUL_OR_SURROGATE = /[\u0000\uD800-\uDFFF]/;

/**
 * send_message's payload, as `@LegacyBody()` would give it, for the hottest
 * event: a payload that is plainly valid (an object of a few plain fields,
 * valid ids, type and a text without NUL or surrogates within the limit) is
 * taken as it is, without class-transformer and class-validator. Anything
 * else, valid or not, goes through the common pipes, so the answers and error
 * texts stay theirs. The longest message is MESSAGE_MAX_LENGTH, from the
 * injected AppConfig.
 */
@Injectable()
export class SendMessagePipe implements PipeTransform<
  unknown,
  SendMessageDto | Promise<SendMessageDto>
> {
  private readonly payloadPipe = new LegacyPayloadPipe();
  private readonly messageMaxLength: number;
  /** The DTO with this server's limit; validation builds instances of it. */
  readonly dto: SendMessageDtoClass;

  constructor(config: AppConfig) {
    this.messageMaxLength = config.messageMaxLength;
    this.dto = sendMessageDtoClass(this.messageMaxLength);
  }

  transform(value: unknown, metadata: ArgumentMetadata): SendMessageDto | Promise<SendMessageDto> {
    return (
      plainlyValid(value, this.dto, this.messageMaxLength) ??
      (legacyValidationPipe.transform(this.payloadPipe.transform(value), {
        ...metadata,
        metatype: this.dto,
      }) as Promise<SendMessageDto>)
    );
  }
}

/** The DTO when `value` certainly passes the common pipes unchanged but for ids and type; else undefined. */
function plainlyValid(
  value: unknown,
  Dto: SendMessageDtoClass,
  messageMaxLength: number,
): SendMessageDto | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const payload = value as Record<string, unknown>;
  let fields = 0;
  for (const key in payload) {
    const field = payload[key];
    // Nested values and long payloads are for LegacyPayloadPipe's shape limits to judge.
    if (++fields > FAST_PATH_MAX_FIELDS || (typeof field === 'object' && field !== null)) {
      return undefined;
    }
  }
  const senderId = parseLegacyId(payload.senderId);
  const receiverId = parseLegacyId(payload.receiverId);
  const messageType = parseLegacyFlag(payload.messageType, MESSAGE_TYPES);
  const message = payload.message;
  const clientMessageId = payload.clientMessageId;
  if (
    clientMessageId !== undefined &&
    !(
      typeof clientMessageId === 'string' &&
      clientMessageId.length > 0 &&
      clientMessageId.length <= CLIENT_MESSAGE_ID_MAX_LENGTH &&
      !NUL_OR_SURROGATE.test(clientMessageId)
    )
  ) {
    return undefined;
  }
  if (
    senderId === undefined ||
    receiverId === undefined ||
    receiverId === senderId ||
    messageType === undefined ||
    typeof message !== 'string' ||
    message.length === 0 ||
    // UTF-16 units, so at least as many as code points; texts with surrogates take the full path.
    message.length > messageMaxLength ||
    NUL_OR_SURROGATE.test(message)
  ) {
    return undefined;
  }
  const dto = new Dto();
  dto.senderId = senderId;
  dto.receiverId = receiverId;
  dto.messageType = messageType;
  dto.message = message;
  // Absent stays absent: legacy payloads make the same DTO as before.
  if (clientMessageId !== undefined) dto.clientMessageId = clientMessageId;
  return dto;
}
