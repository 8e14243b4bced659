import { Injectable, OnModuleInit } from '@nestjs/common';
import { BansService } from '../bans/bans.service.js';
import { ConflictError, NotFoundError } from '../errors/domain-errors.js';
import { DomainEvents } from '../events/domain-events.js';
import type { FeedPositions } from '../feed/feed-positions.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { UsersService } from '../users/users.service.js';
import { blockRefusalMessage } from './block-rule.sql.js';
import './moderation-events.js';
import { ModerationRepository, type ReportView } from './moderation.repository.js';
import type { ReportResolution, ReportStatus } from './report.entity.js';

/** A page of the admin queue; `nextCursor` is null on the last page. */
export interface ReportsPage {
  reports: ReportView[];
  nextCursor: string | null;
}

export { BLOCKED_BY, YOU_BLOCKED } from './block-rule.sql.js';

@Injectable()
export class ModerationService implements OnModuleInit {
  constructor(
    private readonly repository: ModerationRepository,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
    private readonly bans: BansService,
    private readonly registry: UserDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'reports',
      order: 100,
      erase: (manager, userId) => this.repository.eraseReportsMade(manager, userId),
      count: (manager, userId) => this.repository.countReports(manager, userId),
    });
    this.registry.register({
      name: 'blocks',
      order: 100,
      erase: async (manager, userId, scope) => {
        const others = await this.repository.eraseBlocks(manager, userId);
        for (const other of others) scope.partners.add(other);
        return others.length;
      },
      count: (manager, userId) => this.repository.countBlocks(manager, userId),
    });
  }

  /** The admin queue, newest first (cursor: the previous page's nextCursor). */
  async listReports(
    status: ReportStatus | undefined,
    cursor: string | undefined,
    limit: number,
  ): Promise<ReportsPage> {
    const rows = await this.repository.listReports(
      status,
      cursor === undefined ? undefined : Number(cursor),
      limit + 1,
    );
    const reports = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? String(reports[reports.length - 1].id) : null;
    return { reports, nextCursor };
  }

  /**
   * Resolves an open report: "dismiss" only closes it, "ban" first bans the
   * reported user with no end (every node cuts their sockets).
   */
  async resolveReport(
    actor: string,
    reportId: number,
    action: ReportResolution,
    note: string | undefined,
  ): Promise<ReportView> {
    const report = await this.repository.findReport(reportId);
    if (!report) throw new NotFoundError(`report ${reportId} does not exist`);
    if (report.status !== 'open') throw new ConflictError(`report ${reportId} is already resolved`);
    if (action === 'ban') {
      await this.bans.ban(actor, report.reportedId, note || `report ${reportId}`, null, {
        reportId,
      });
    }
    if (!(await this.repository.resolveReport(reportId, action, note ?? null, actor))) {
      throw new ConflictError(`report ${reportId} is already resolved`);
    }
    this.events.publish('report.resolved', {
      actor,
      reportId,
      userId: report.reportedId,
      details: { action, note: note ?? null },
    });
    return (await this.repository.findReport(reportId))!;
  }

  /**
   * Blocks (status 1) or unblocks (0); both idempotent, and both users are
   * told either way (block_data, as the legacy server did).
   */
  async setBlock(blockerId: number, blockedId: number, status: 0 | 1): Promise<FeedPositions> {
    await this.users.requireProfiles(blockedId);
    const feed = await this.repository.setBlock(blockerId, blockedId, status);
    this.events.publish(status === 1 ? 'user.blocked' : 'user.unblocked', {
      blockerId,
      blockedId,
      feed,
    });
    return feed;
  }

  /** Why a message from `senderId` to `receiverId` may not be sent (the block rule), or null. */
  async blockRefusal(senderId: number, receiverId: number): Promise<string | null> {
    const refusal = await this.repository.blockRefusal(senderId, receiverId);
    return refusal && blockRefusalMessage(refusal);
  }

  /** Every report is kept. */
  async report(reporterId: number, reportedId: number, comment?: string): Promise<void> {
    await this.users.requireProfiles(reportedId);
    await this.repository.addReport(reporterId, reportedId, comment ?? null);
  }
}
