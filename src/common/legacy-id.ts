import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';

export const MAX_ID = 2_147_483_647;

/**
 * Ids arrive as JSON numbers or as strings of decimal digits ("183" or 183).
 * Returns the id as a number, or undefined when the value is not a valid id
 * ("0", negatives, "1e3", "12abc", fractions, out of range).
 */
export function parseLegacyId(value: unknown): number | undefined {
  let id: number;
  if (typeof value === 'number') {
    id = value;
  } else if (typeof value === 'string' && /^\d{1,10}$/.test(value)) {
    id = Number(value);
  } else {
    return undefined;
  }
  return Number.isInteger(id) && id >= 1 && id <= MAX_ID ? id : undefined;
}

/** Parses a small enumerated flag given as number or digit string (messageType, status). */
export function parseLegacyFlag(value: unknown, allowed: readonly number[]): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,3}$/.test(value)
        ? Number(value)
        : NaN;
  return allowed.includes(n) ? n : undefined;
}

/**
 * A legacy id field: accepted as number or digit string, turned into a number.
 * An invalid value is kept as it came so the validator can name it.
 */
export function IsLegacyId(options?: ValidationOptions): PropertyDecorator {
  const transform = Transform(({ value }) => parseLegacyId(value) ?? value);
  const validate = ValidateBy(
    {
      name: 'isLegacyId',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && parseLegacyId(value) === value,
        defaultMessage: (args) =>
          args?.value === undefined || args?.value === null
            ? `${args?.property} is required`
            : `${args?.property} must be an id: a whole number from 1 to ${MAX_ID}, as a number or a string of digits`,
      },
    },
    options,
  );
  return (target, key) => {
    transform(target, key);
    validate(target, key);
  };
}

/** A legacy enumerated flag (messageType, status): number or digit string among `allowed`. */
export function IsLegacyFlag(
  allowed: readonly number[],
  options?: ValidationOptions,
): PropertyDecorator {
  const transform = Transform(({ value }) => parseLegacyFlag(value, allowed) ?? value);
  const validate = ValidateBy(
    {
      name: 'isLegacyFlag',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && allowed.includes(value),
        defaultMessage: (args) =>
          args?.value === undefined || args?.value === null
            ? `${args?.property} is required`
            : `${args?.property} must be one of ${allowed.join(', ')} (as a number or a string)`,
      },
    },
    options,
  );
  return (target, key) => {
    transform(target, key);
    validate(target, key);
  };
}

/** Length in Unicode code points, as the contract counts characters. */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string of `min` to `max` Unicode code points. */
export function IsTextOfLength(
  min: number,
  max: () => number,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTextOfLength',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.includes('\u0000') || LONE_SURROGATE.test(value)) {
            return false;
          }
          const length = codePointLength(value);
          return length >= min && length <= max();
        },
        defaultMessage: (args) => {
          const value = args?.value;
          if (value === undefined || value === null) return `${args?.property} is required`;
          if (typeof value !== 'string') return `${args?.property} must be a string`;
          // Postgres text cannot hold NUL; refuse it instead of failing at the database.
          if (value.includes('\u0000'))
            return `${args?.property} must not contain the NUL character (\\u0000)`;
          // Postgres would store U+FFFD instead: refuse rather than change the text.
          if (LONE_SURROGATE.test(value)) {
            return `${args?.property} must be valid Unicode (it contains an unpaired surrogate)`;
          }
          return codePointLength(value) < min
            ? `${args?.property} must not be empty`
            : `${args?.property} must be at most ${max()} characters long`;
        },
      },
    },
    options,
  );
}
