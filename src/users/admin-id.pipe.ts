import {
  BadRequestException,
  Injectable,
  ValidationPipe,
  type PipeTransform,
} from '@nestjs/common';
import { parseLegacyId } from '../common/legacy-id.js';

/** A user or report id in an admin path: 400 naming the parameter unless it is 1 to 2147483647. */
@Injectable()
export class AdminIdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: { data?: string }): number {
    const id = parseLegacyId(value);
    if (id === undefined) {
      throw new BadRequestException(
        `${metadata.data ?? 'id'} must be a whole number from 1 to 2147483647`,
      );
    }
    return id;
  }
}

/**
 * Body and query validation of the admin API: unknown fields are refused
 * (400 naming them) rather than dropped, so a misspelt `untl` cannot turn a
 * week's ban into one without end.
 */
export const adminValidation = (): ValidationPipe =>
  new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true });
