import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsLegacyId } from '../../common/legacy-id.js';

export const SYNC_PAGE_MAX = 500;
export const SYNC_PAGE_DEFAULT = 100;
/** Positions are bigint in the database; JSON numbers are exact up to 2^53 - 1. */
export const MAX_POSITION = Number.MAX_SAFE_INTEGER;

/** A whole number given as a JSON number or a string of digits, like ids. */
export function parsePosition(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,16}$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(n) && n >= 0 && n <= MAX_POSITION ? n : undefined;
}

const SINCE_MESSAGE =
  'since must be a feed position: a whole number from 0 (0 means from the start)';
const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${SYNC_PAGE_MAX}`;

/** sync `{userId, since[, limit]}`: the user's feed events after position `since`. */
export class SyncDto {
  @IsLegacyId()
  userId: number;

  @Transform(({ value }) => parsePosition(value) ?? value)
  @IsInt({ message: SINCE_MESSAGE })
  @Min(0, { message: SINCE_MESSAGE })
  @Max(MAX_POSITION, { message: SINCE_MESSAGE })
  since: number;

  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(SYNC_PAGE_MAX, { message: LIMIT_MESSAGE })
  limit?: number;
}
