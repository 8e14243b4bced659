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
    return payload as Record<string, unknown>;
  }
}
