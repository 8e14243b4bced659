import { ValidationError, ValidationPipe } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';

function firstMessage(errors: ValidationError[]): string {
  for (const error of errors) {
    const constraints = Object.values(error.constraints ?? {});
    if (constraints.length) return constraints[0];
    const nested = firstMessage(error.children ?? []);
    if (nested) return nested;
  }
  return 'invalid payload';
}

/**
 * Validates a socket payload against its DTO and turns it into typed values
 * (ids as numbers). Unknown fields are dropped, not refused: apps send extras.
 */
export const legacyValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => new WsException(firstMessage(errors)),
});
