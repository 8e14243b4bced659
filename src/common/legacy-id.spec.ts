import { validateSync } from 'class-validator';
import { codePointLength, IsTextOfLength, parseLegacyFlag, parseLegacyId } from './legacy-id.js';

describe('parseLegacyId', () => {
  it.each([
    [183, 183],
    ['183', 183],
    [1, 1],
    ['2147483647', 2147483647],
  ])('accepts %p', (input, expected) => {
    expect(parseLegacyId(input)).toBe(expected);
  });

  it.each([
    0,
    '0',
    -1,
    '-1',
    '1e3',
    '12abc',
    1.5,
    '1.5',
    '',
    ' 1',
    '2147483648',
    2147483648,
    null,
    undefined,
    true,
    {},
    [],
    NaN,
  ])('refuses %p', (input) => {
    expect(parseLegacyId(input)).toBeUndefined();
  });
});

describe('parseLegacyFlag', () => {
  it('accepts numbers and digit strings among the allowed values', () => {
    expect(parseLegacyFlag('1', [0, 1])).toBe(1);
    expect(parseLegacyFlag(0, [0, 1])).toBe(0);
    expect(parseLegacyFlag('2', [0, 1])).toBeUndefined();
    expect(parseLegacyFlag('x', [0, 1])).toBeUndefined();
    expect(parseLegacyFlag(true, [0, 1])).toBeUndefined();
  });
});

describe('codePointLength', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('héllo')).toBe(5);
    expect(codePointLength('😀😀')).toBe(2);
  });
});

describe('IsTextOfLength', () => {
  class Sample {
    @IsTextOfLength(1, () => 3)
    text: unknown;
  }
  const check = (text: unknown) => {
    const sample = new Sample();
    sample.text = text;
    return validateSync(sample).flatMap((e) => Object.values(e.constraints ?? {}));
  };

  it('accepts 1 to max code points', () => {
    expect(check('a')).toEqual([]);
    expect(check('😀😀😀')).toEqual([]);
  });

  it('refuses empty, too long, non-strings and NUL, saying why', () => {
    expect(check('')).toEqual(['text must not be empty']);
    expect(check('abcd')).toEqual(['text must be at most 3 characters long']);
    expect(check(5)).toEqual(['text must be a string']);
    expect(check(undefined)).toEqual(['text is required']);
    expect(check('a\u0000')[0]).toMatch(/NUL/);
    expect(check('a\ud800')[0]).toMatch(/unpaired surrogate/);
    expect(check('\udc00b')[0]).toMatch(/unpaired surrogate/);
  });
});
