import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyId } from '../../common/legacy-id.js';

export const HISTORY_PAGE_MAX = 500;

/** get_message `{senderId, receiverId[, limit, beforeId]}`: senderId is the requester. */
export class GetMessagesDto {
  @IsLegacyId()
  senderId: number;

  @IsLegacyId()
  @IsDifferentFrom('senderId')
  receiverId: number;

  /** Page size; without it the whole visible history (legacy behaviour). */
  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: `limit must be a whole number from 1 to ${HISTORY_PAGE_MAX}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${HISTORY_PAGE_MAX}` })
  @Max(HISTORY_PAGE_MAX, { message: `limit must be a whole number from 1 to ${HISTORY_PAGE_MAX}` })
  limit?: number;

  /** Only messages with a smaller id: the page before the oldest one the client has. */
  @IsOptional()
  @IsLegacyId()
  beforeId?: number;
}
