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
    if (nestedDeeperThan(payload, MAX_PAYLOAD_DEPTH)) {
      throw new WsException(`payload is nested too deeply (more than ${MAX_PAYLOAD_DEPTH} levels)`);
    }
    return payload as Record<string, unknown>;
  }
}

/** No event has nested fields; deeper payloads are refused before validation recurses into them. */
const MAX_PAYLOAD_DEPTH = 8;

function nestedDeeperThan(root: object, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
