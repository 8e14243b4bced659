import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_ID } from '../../common/legacy-id.js';

/** Body of `POST /admin/console/chat-token`. */
export class ChatTokenDto {
  @ApiProperty({ description: 'The user a chat pane connects as', minimum: 1, maximum: MAX_ID })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  userId: number;
}
