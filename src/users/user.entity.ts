import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A chat user. Ids are owned by the apps' main API, which keeps this table in
 * step through `PUT /admin/users/:id`, so the id is not generated here.
 */
@Entity({ name: 'users' })
@Check('users_id_check', '"id" > 0')
export class User {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** Image file name or URL; '' when the user has none (never null on the wire). */
  @Column({ type: 'text', default: '' })
  image: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
