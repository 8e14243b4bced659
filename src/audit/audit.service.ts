import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { AdminAction } from '../events/admin-action.js';
import { DomainEvents, type DomainEventName } from '../events/domain-events.js';
import { AuditRepository, type AuditView } from './audit.repository.js';

/** Every admin action's domain event (declared by the modules that publish them). */
export const AUDITED_EVENTS = [
  'user.profile_saved',
  'user.banned',
  'user.unbanned',
  'report.resolved',
  'user.erased',
  'console.chat_token_minted',
] as const satisfies readonly DomainEventName[];

export interface AuditPage {
  entries: AuditView[];
  nextCursor: string | null;
}

/**
 * The audit trail (README "Moderation"): a consumer of the admin actions'
 * domain events that logs each one (who, what) and stores it in admin_audit.
 * The action has committed by then; a failed write is logged as an error.
 */
@Injectable()
export class AuditService implements OnModuleInit {
  private readonly logger = new Logger('Audit');
  /** Writes not yet finished, so a read on this node sees every action it published. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly repository: AuditRepository,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    for (const name of AUDITED_EVENTS) {
      this.events.on(name, (event: AdminAction) => this.record(name, event));
    }
  }

  private record(action: string, event: AdminAction): void {
    this.logger.log({
      msg: `${event.actor}: ${action}`,
      actor: event.actor,
      action,
      userId: event.userId,
      reportId: event.reportId,
      details: event.details,
    });
    const write = this.repository.add(action, event).catch((error: unknown) => {
      this.logger.error(
        `could not store the audit entry (${action} by ${event.actor}): ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  async list(cursor: string | undefined, userId: number | undefined, limit: number) {
    await Promise.all(this.pending);
    const rows = await this.repository.list(
      cursor === undefined ? undefined : Number(cursor),
      userId,
      limit + 1,
    );
    const entries = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? String(entries[entries.length - 1].id) : null;
    return { entries, nextCursor } satisfies AuditPage;
  }
}
