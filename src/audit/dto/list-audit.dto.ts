import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { parseLegacyId } from '../../common/legacy-id.js';

export const AUDIT_PAGE_MAX = 100;
export const AUDIT_PAGE_DEFAULT = 50;

/** Query of `GET /admin/audit`. */
export class ListAuditQueryDto {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,9}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}` })
  @Max(AUDIT_PAGE_MAX, { message: `limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'Only the actions about this user' })
  @IsOptional()
  @Transform(({ value }) => parseLegacyId(value) ?? value)
  @IsInt({ message: 'userId must be a whole number from 1 to 2147483647' })
  userId?: number;
}
