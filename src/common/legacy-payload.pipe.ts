import { Injectable, PipeTransform } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';

/**
 * Some clients `emit(event, json.toString())`: the payload may be an object or
 * a JSON string of one (contract, "Transport"). Anything else is refused here,
 * once, before validation.
 */
@Injectable()
export class LegacyPayloadPipe implements PipeTransform<unknown, Record<string, unknown>> {
  transform(value: unknown): Record<string, unknown> {
    let payload = value;
    if (typeof payload === 'string') {
      try {
        payload = JSON.parse(payload);
      } catch {
        throw new WsException('payload must be a JSON object or a JSON string of an object');
      }
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new WsException('payload must be a JSON object or a JSON string of an object');
    }
    const shape = tooLarge(payload);
    if (shape) throw new WsException(shape);
    return payload as Record<string, unknown>;
  }
}

/**
 * No event has nested fields or more than a few keys. Anything much deeper or
 * wider is refused before validation walks it: class-transformer's cost grows
 * faster than linearly with key count, so one hostile frame could stall the
 * event loop for everyone.
 */
const MAX_PAYLOAD_DEPTH = 8;
const MAX_PAYLOAD_VALUES = 100;

function tooLarge(root: object): string | null {
  const stack: Array<[unknown, number]> = [[root, 1]];
  let values = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_PAYLOAD_DEPTH) {
      return `payload is nested too deeply (more than ${MAX_PAYLOAD_DEPTH} levels)`;
    }
    for (const key in value) {
      if (++values > MAX_PAYLOAD_VALUES) {
        return `payload has too many fields (more than ${MAX_PAYLOAD_VALUES})`;
      }
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return null;
}
