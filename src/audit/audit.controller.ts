import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { adminValidation } from '../users/admin-id.pipe.js';
import { AdminTokenGuard } from '../users/admin-token.guard.js';
import { AUDIT_PAGE_DEFAULT, ListAuditQueryDto } from './dto/list-audit.dto.js';
import { AuditService, type AuditPage } from './audit.service.js';

@ApiTags('admin: audit')
@ApiBearerAuth()
@Controller('admin/audit')
@UseGuards(AdminTokenGuard)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Admin actions, newest first',
    description:
      'Who (the token’s label, ADMIN_TOKEN_LABEL), what (user.profile_saved, user.banned, user.unbanned, report.resolved, user.erased), about which user or report, with details. Pass `nextCursor` as `cursor` for the next page.',
  })
  list(@Query(adminValidation()) query: ListAuditQueryDto): Promise<AuditPage> {
    return this.audit.list(query.cursor, query.userId, query.limit ?? AUDIT_PAGE_DEFAULT);
  }
}
