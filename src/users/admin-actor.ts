import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Set by AdminTokenGuard on an admitted request: who acts (ADMIN_TOKEN_LABEL). */
export const ADMIN_ACTOR = Symbol('adminActor');

type AdminRequest = Request & { [ADMIN_ACTOR]?: string };

export function setAdminActor(request: Request, actor: string): void {
  (request as AdminRequest)[ADMIN_ACTOR] = actor;
}

/** The admin request's actor, for the audit trail: `@AdminActor() actor: string`. */
export const AdminActor = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const actor = context.switchToHttp().getRequest<AdminRequest>()[ADMIN_ACTOR];
  if (actor === undefined) throw new Error('@AdminActor() used on a route without AdminTokenGuard');
  return actor;
});
