import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The last position handed out in a user's feed. Every change that appends
 * to a feed moves its head in the same transaction; the row lock makes
 * positions consecutive and in commit order per user.
 */
@Entity({ name: 'feed_heads' })
export class FeedHead {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'last_pos', type: 'bigint' })
  lastPos: string;
}
