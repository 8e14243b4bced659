/**
 * What every admin action's domain event carries (README "Moderation"): who
 * acted (the admin token's label, ADMIN_TOKEN_LABEL), about which user or
 * report, and what was done. The audit trail stores each one as it is.
 */
export interface AdminAction {
  actor: string;
  userId?: number;
  reportId?: number;
  /** What was done, as JSON (a reason, an end, the rows removed). */
  details: Record<string, unknown>;
}
