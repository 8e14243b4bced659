import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminActor } from '../users/admin-actor.js';
import { AdminIdPipe, adminValidation } from '../users/admin-id.pipe.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import {
  ListReportsQueryDto,
  REPORTS_PAGE_DEFAULT,
  ResolveReportDto,
} from './dto/admin-reports.dto.js';
import type { ReportView } from './moderation.repository.js';
import { ModerationService, type ReportsPage } from './moderation.service.js';

/** The reports queue (README "Moderation"). */
@ApiTags('admin: reports')
@ApiBearerAuth()
@Controller('admin/reports')
@UseGuards(AdminTokenGuard)
export class AdminReportsController {
  constructor(private readonly moderation: ModerationService) {}

  @Get()
  @ApiOperation({
    summary: 'Reports, newest first',
    description:
      'Each with the reporter’s and the reported user’s profiles (null once erased), the comment, the time (unix seconds), the status, and how many open reports the reported user has. Pass `nextCursor` as `cursor` for the next page.',
  })
  list(@Query(adminValidation()) query: ListReportsQueryDto): Promise<ReportsPage> {
    return this.moderation.listReports(
      query.status,
      query.cursor,
      query.limit ?? REPORTS_PAGE_DEFAULT,
    );
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resolve an open report',
    description:
      '"dismiss" closes it; "ban" also bans the reported user with no end. 409 when already resolved.',
  })
  resolve(
    @Param('id', AdminIdPipe) id: number,
    @Body(adminValidation()) body: ResolveReportDto,
    @AdminActor() actor: string,
  ): Promise<ReportView> {
    return this.moderation.resolveReport(actor, id, body.action, body.note);
  }
}
