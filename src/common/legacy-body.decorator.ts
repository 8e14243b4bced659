import { MessageBody } from '@nestjs/websockets';
import { LegacyPayloadPipe } from './legacy-payload.pipe.js';
import { legacyValidationPipe } from './legacy-validation.pipe.js';

/** The event payload: JSON string or object, validated against the parameter's DTO. */
export const LegacyBody = (): ParameterDecorator =>
  MessageBody(new LegacyPayloadPipe(), legacyValidationPipe);
