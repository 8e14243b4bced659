import { payloadBytes } from './payload-size.js';

const FRAME = 5 * 1024 * 1024;

describe('payloadBytes', () => {
  it('counts a JSON-string payload by its length', () => {
    expect(payloadBytes('x'.repeat(1_000_000), FRAME)).toBe(1_000_000);
  });

  it('counts binary by byteLength and scalars by a constant', () => {
    expect(payloadBytes(Buffer.alloc(4096), FRAME)).toBe(4096);
    expect(payloadBytes(42, FRAME)).toBe(8);
    expect(payloadBytes(undefined, FRAME)).toBe(8);
  });

  it('adds up keys, strings and nested values of an object', () => {
    const small = payloadBytes(
      { senderId: 1, receiverId: 2, messageType: 0, message: 'hi' },
      FRAME,
    );
    expect(small).toBeGreaterThan(30);
    expect(small).toBeLessThan(100);
    const padded = payloadBytes({ senderId: 1, pad: { deeper: ['y'.repeat(2_000_000)] } }, FRAME);
    expect(padded).toBeGreaterThan(2_000_000);
    expect(padded).toBeLessThan(2_000_100);
  });

  it('charges a whole frame for arguments too wide or deep to walk cheaply', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) wide[`k${i}`] = i;
    expect(payloadBytes(wide, FRAME)).toBe(FRAME);
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 1000; i++) deep = { a: deep };
    expect(payloadBytes(deep, FRAME)).toBe(FRAME);
    expect(payloadBytes(new Array(300).fill(1), FRAME)).toBe(FRAME);
  });
});
