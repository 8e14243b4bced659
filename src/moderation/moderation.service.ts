import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UsersService } from '../users/users.service.js';
import { Block } from './block.entity.js';
import { Report } from './report.entity.js';

export const YOU_BLOCKED = 'You Have Blocked This User';
export const BLOCKED_BY = 'You Are Blocked By This User';

@Injectable()
export class ModerationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
  ) {}

  /** Blocks (status 1) or unblocks (0); both idempotent. */
  async setBlock(blockerId: number, blockedId: number, status: 0 | 1): Promise<void> {
    await this.users.requireProfiles(blockedId);
    if (status === 1) {
      await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(Block)
        .values({ blockerId, blockedId })
        .orIgnore()
        .execute();
    } else {
      await this.dataSource.getRepository(Block).delete({ blockerId, blockedId });
    }
  }

  /**
   * Why a message between the two may not be sent, or null. The sender's own
   * block wins when both blocked each other (contract, "Semantics").
   */
  async blockRefusal(senderId: number, receiverId: number): Promise<string | null> {
    const blocks = await this.dataSource.getRepository(Block).find({
      where: [
        { blockerId: senderId, blockedId: receiverId },
        { blockerId: receiverId, blockedId: senderId },
      ],
    });
    if (blocks.some((b) => b.blockerId === senderId)) return YOU_BLOCKED;
    if (blocks.length > 0) return BLOCKED_BY;
    return null;
  }

  /** Every report is kept. */
  async report(reporterId: number, reportedId: number, comment?: string): Promise<void> {
    await this.users.requireProfiles(reportedId);
    await this.dataSource
      .getRepository(Report)
      .insert({ reporterId, reportedId, comment: comment ?? null });
  }
}
