import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const REPORTS_PAGE_MAX = 100;
export const REPORTS_PAGE_DEFAULT = 20;
export const RESOLUTION_NOTE_MAX = 1000;

/** Query of `GET /admin/reports`. */
export class ListReportsQueryDto {
  @ApiPropertyOptional({ enum: ['open', 'resolved'], description: 'Both when left out' })
  @IsOptional()
  @IsIn(['open', 'resolved'], { message: 'status must be open or resolved' })
  status?: 'open' | 'resolved';

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,9}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: REPORTS_PAGE_MAX, default: REPORTS_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number from 1 to ${REPORTS_PAGE_MAX}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${REPORTS_PAGE_MAX}` })
  @Max(REPORTS_PAGE_MAX, { message: `limit must be a whole number from 1 to ${REPORTS_PAGE_MAX}` })
  limit?: number;
}

/** Body of `POST /admin/reports/:id/resolve`. */
export class ResolveReportDto {
  @ApiProperty({
    enum: ['dismiss', 'ban'],
    description: '"ban" bans the reported user with no end',
  })
  @IsIn(['dismiss', 'ban'], { message: 'action must be dismiss or ban' })
  action: 'dismiss' | 'ban';

  @ApiPropertyOptional({ maxLength: RESOLUTION_NOTE_MAX })
  @IsOptional()
  @IsString({ message: 'note must be a string' })
  @MaxLength(RESOLUTION_NOTE_MAX, {
    message: `note must be at most ${RESOLUTION_NOTE_MAX} characters`,
  })
  note?: string;
}
