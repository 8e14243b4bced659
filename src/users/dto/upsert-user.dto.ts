import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsTextOfLength } from '../../common/legacy-id.js';

export const USER_NAME_MAX = 100;
export const USER_IMAGE_MAX = 4096;

/** Body of `PUT /admin/users/:id`: replaces the profile. */
export class UpsertUserDto {
  @ApiProperty({ minLength: 1, maxLength: USER_NAME_MAX })
  @IsTextOfLength(1, () => USER_NAME_MAX)
  name: string;

  /** Missing or null means no image, stored and sent as "". */
  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: USER_IMAGE_MAX })
  @IsOptional()
  @Transform(({ value }) => (value === null ? undefined : value))
  @IsTextOfLength(0, () => USER_IMAGE_MAX)
  image?: string;
}
