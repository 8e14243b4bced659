/**
 * Values walked before giving up: every valid payload has at most 100 (the
 * payload pipe refuses more), so a bigger one is refused anyway, and is
 * charged as a whole frame rather than walked further.
 */
const VALUES_WALKED = 256;
/** What a number, boolean or null takes, roughly, and each key's overhead. */
const SCALAR_BYTES = 8;
const KEY_OVERHEAD = 4;

/**
 * A cheap estimate of what an event's arguments hold in memory, for the
 * per-socket and node-wide byte bounds: strings by length (one byte per
 * UTF-16 unit; a JSON-string payload costs one look at `.length`), binary by
 * byteLength, scalars and keys by a constant. Arguments of more than a few
 * hundred values are charged `oversize` (the largest frame) without walking
 * them further. Stops at nothing else: no recursion, no allocation for flat
 * payloads.
 */
export function payloadBytes(payload: unknown, oversize: number): number {
  if (typeof payload === 'string') return payload.length;
  if (payload === null || typeof payload !== 'object') return SCALAR_BYTES;
  if (ArrayBuffer.isView(payload)) return payload.byteLength;
  let bytes = 0;
  let values = 0;
  let pending: object[] | undefined;
  let current: object | undefined = payload;
  while (current !== undefined) {
    for (const key in current) {
      if (++values > VALUES_WALKED) return Math.max(oversize, bytes);
      const value = (current as Record<string, unknown>)[key];
      bytes += key.length + KEY_OVERHEAD;
      if (typeof value === 'string') bytes += value.length;
      else if (value === null || typeof value !== 'object') bytes += SCALAR_BYTES;
      else if (ArrayBuffer.isView(value)) bytes += value.byteLength;
      else (pending ??= []).push(value);
    }
    current = pending?.pop();
  }
  return bytes;
}
