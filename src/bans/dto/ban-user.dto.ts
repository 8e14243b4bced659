import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

export const BAN_REASON_MAX = 1000;

/** Body of `PUT /admin/users/:id/ban`. */
export class BanUserDto {
  @ApiProperty({ description: 'Why (shown to admins, not to the user)', maxLength: BAN_REASON_MAX })
  @IsString({ message: 'reason must be a string' })
  @MinLength(1, { message: 'reason must not be empty' })
  @MaxLength(BAN_REASON_MAX, { message: `reason must be at most ${BAN_REASON_MAX} characters` })
  reason: string;

  @ApiProperty({
    description: 'When the ban ends by itself, in unix seconds; null: never',
    type: 'integer',
    nullable: true,
    example: null,
  })
  @ValidateIf((dto: BanUserDto) => dto.until !== null)
  @IsInt({ message: 'until must be unix seconds (a whole number) or null' })
  until: number | null;
}
