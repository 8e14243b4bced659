import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsDifferentFrom } from '../../common/different-from.decorator.js';
import { IsLegacyId, IsTextOfLength } from '../../common/legacy-id.js';

export const REPORT_COMMENT_MAX = 1000;

/** report_user `{userId, user2Id[, comment]}` */
export class ReportUserDto {
  @IsLegacyId()
  userId: number;

  @IsLegacyId()
  @IsDifferentFrom('userId')
  user2Id: number;

  /** Optional; null counts as absent. */
  @IsOptional()
  @Transform(({ value }) => (value === null ? undefined : value))
  @IsTextOfLength(0, () => REPORT_COMMENT_MAX)
  comment?: string;
}
