import { IsInt, Max, Min } from 'class-validator';
import { MAX_ID } from '../../common/legacy-id.js';

/** Body of `POST /admin/console/chat-token`. */
export class ChatTokenDto {
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  userId: number;
}
