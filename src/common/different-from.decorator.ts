import { ValidateBy, ValidationOptions } from 'class-validator';

/** Refuses an event that names the same user on both sides (contract, "Identity"). */
export function IsDifferentFrom(
  otherField: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDifferentFrom',
      constraints: [otherField],
      validator: {
        validate: (value: unknown, args) =>
          value !== (args?.object as Record<string, unknown>)[otherField],
        defaultMessage: (args) => `${args?.property} must be another user than ${otherField}`,
      },
    },
    options,
  );
}
