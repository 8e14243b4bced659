import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WsException } from '@nestjs/websockets';
import { DataSource, In } from 'typeorm';
import { User } from './user.entity.js';

export interface Profile {
  id: number;
  name: string;
  image: string;
}

export const DEMO_USERS: Profile[] = [
  { id: 1, name: 'Alice', image: '' },
  { id: 2, name: 'Bob', image: '' },
  { id: 3, name: 'Carol', image: '' },
];

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get users() {
    return this.dataSource.getRepository(User);
  }

  /** Profiles of the given users, by id; missing users are absent from the map. */
  async findProfiles(ids: number[]): Promise<Map<number, Profile>> {
    const rows = await this.users.find({
      where: { id: In([...new Set(ids)]) },
      select: { id: true, name: true, image: true },
    });
    return new Map(rows.map((row) => [row.id, row]));
  }

  /**
   * The profiles of these users, in the order given; socket events that name
   * an unknown user are refused with this error (contract, "HTTP beside the socket").
   */
  async requireProfiles(...ids: number[]): Promise<Profile[]> {
    const profiles = await this.findProfiles(ids);
    return ids.map((id) => {
      const profile = profiles.get(id);
      if (!profile) throw new WsException(`user ${id} does not exist`);
      return profile;
    });
  }

  /** Creates or replaces a profile in one statement; returns whether it was new. */
  async upsertProfile(
    id: number,
    name: string,
    image: string,
  ): Promise<{ profile: Profile; created: boolean }> {
    const rows: Array<{ id: number; name: string; image: string; created: boolean }> =
      await this.dataSource.query(
        `INSERT INTO users (id, name, image) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, image = EXCLUDED.image, updated_at = now()
       RETURNING id, name, image, (xmax = 0) AS created`,
        [id, name, image],
      );
    const { created, ...profile } = rows[0];
    return { profile, created };
  }

  /** Demo users for a newcomer's first run; only on an empty users table. */
  async createDemoUsersIfEmpty(): Promise<boolean> {
    if ((await this.users.count()) > 0) return false;
    for (const user of DEMO_USERS) await this.upsertProfile(user.id, user.name, user.image);
    this.logger.log(
      `Created demo users: ${DEMO_USERS.map((u) => `${u.id} (${u.name})`).join(', ')}`,
    );
    return true;
  }
}
