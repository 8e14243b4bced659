import { codePointLength, parseLegacyFlag, parseLegacyId } from './legacy-id.js';

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
