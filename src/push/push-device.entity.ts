import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const DEVICE_PLATFORMS = ['android', 'ios', 'web'] as const;
export type DevicePlatform = (typeof DEVICE_PLATFORMS)[number];

/**
 * An FCM registration token of a user's device. A token belongs to one user
 * at a time: registering it for another user (a shared phone, a new login)
 * moves it. No foreign key to users, as for the feed: the lead's erasure
 * deletes a user's devices itself.
 */
@Entity({ name: 'push_devices' })
@Index('ix_push_devices_user', ['userId'])
export class PushDevice {
  @PrimaryColumn({ type: 'varchar', length: 4096 })
  token: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  platform: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
