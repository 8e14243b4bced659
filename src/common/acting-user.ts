import { SetMetadata } from '@nestjs/common';
import { MESSAGE_MAPPING_METADATA, PARAM_ARGS_METADATA } from '@nestjs/websockets/constants.js';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum.js';
import { ForbiddenError } from '../errors/domain-errors.js';
import type { ChatSocket } from './chat-socket.js';

/** Metadata of a handler: which payload field names its acting user, or that it binds the socket. */
export const ACTING_USER_METADATA = 'chat:acting-user';
/** Set on a handler whose acting user is checked (by ActingUserChecks). */
export const ACTING_USER_CHECKED = 'chat:acting-user-checked';

export type ActingUser = { kind: 'acts-as'; field: string } | { kind: 'binds-identity' };

/**
 * The handler's acting user is the validated payload's `field` (an id): the
 * socket must be bound (connect_user) to that user, else the event is refused
 * and nothing runs (contract, "Identity").
 */
export const ActsAs = (field: string): MethodDecorator =>
  SetMetadata<string, ActingUser>(ACTING_USER_METADATA, { kind: 'acts-as', field });

/** The handler binds the socket to a user itself (connect_user), so it needs no bound user. */
export const BindsIdentity = (): MethodDecorator =>
  SetMetadata<string, ActingUser>(ACTING_USER_METADATA, { kind: 'binds-identity' });

/** The contract's refusal when `client` may not act as `claimedUserId`, or null. */
export function actingUserRefusal(
  client: ChatSocket,
  claimedUserId: unknown,
  field: string,
): ForbiddenError | null {
  const boundUserId = client.data.userId;
  if (boundUserId === undefined) {
    return new ForbiddenError(
      'this socket is not connected as a user yet: emit connect_user first',
    );
  }
  if (boundUserId !== claimedUserId) {
    return new ForbiddenError(
      `${field} must be the user this socket is connected as (${boundUserId})`,
    );
  }
  return null;
}

type Handler = (...args: unknown[]) => unknown;
type GatewayClass = { prototype: object; name: string };

/**
 * Class decorator (part of `@LegacyGateway()`): every `@SubscribeMessage`
 * handler checks its acting user as its `@ActsAs` says, and a handler with
 * neither `@ActsAs` nor `@BindsIdentity` refuses every event, so a new
 * handler that forgets to say fails closed.
 *
 * Not a guard: guards run before the pipes, and the contract answers an
 * invalid payload with its validation error even from a socket that may not
 * act (contract, "Bad input"). The check wraps the handler, so it runs after
 * the pipes, on the validated payload (the id already parsed), exactly where
 * each handler used to call it.
 */
export function ActingUserChecks(): ClassDecorator {
  return (target) => {
    const gateway = target as unknown as GatewayClass;
    for (const name of handlerNames(gateway.prototype)) {
      const handler = (gateway.prototype as Record<string, Handler>)[name];
      const checked = withActingUserCheck(gateway, name, handler);
      for (const key of Reflect.getOwnMetadataKeys(handler)) {
        Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, handler), checked);
      }
      Reflect.defineMetadata(ACTING_USER_CHECKED, true, checked);
      // Nest reads parameter types under the function's name.
      Object.defineProperty(checked, 'name', { value: handler.name });
      Object.defineProperty(gateway.prototype, name, {
        value: checked,
        writable: true,
        configurable: true,
      });
    }
  };
}

/** Names of the message handlers on the prototype chain (inherited ones too: Nest serves those). */
function handlerNames(prototype: object): Set<string> {
  const names = new Set<string>();
  for (let p = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const value = (prototype as Record<string, unknown>)[name];
      if (
        name !== 'constructor' &&
        typeof value === 'function' &&
        Reflect.getMetadata(MESSAGE_MAPPING_METADATA, value) !== undefined
      ) {
        names.add(name);
      }
    }
  }
  return names;
}

function withActingUserCheck(target: GatewayClass, name: string, handler: Handler): Handler {
  const acting = Reflect.getMetadata(ACTING_USER_METADATA, handler) as ActingUser | undefined;
  if (acting === undefined) {
    return function refuse() {
      // A programming error: answered as an internal error, logged with this text.
      throw new Error(
        `${target.name}.${name} declares neither @ActsAs nor @BindsIdentity: refused`,
      );
    };
  }
  if (acting.kind === 'binds-identity') {
    return function (this: unknown, ...args: unknown[]) {
      return handler.apply(this, args);
    };
  }
  const { socket, body } = parameterIndexes(target, name);
  const { field } = acting;
  return function (this: unknown, ...args: unknown[]) {
    const payload = args[body] as Record<string, unknown>;
    const refusal = actingUserRefusal(args[socket] as ChatSocket, payload[field], field);
    if (refusal) throw refusal;
    return handler.apply(this, args);
  };
}

/** Where the handler takes the socket and the whole payload; both are needed to check. */
function parameterIndexes(target: GatewayClass, name: string): { socket: number; body: number } {
  const params = (Reflect.getMetadata(PARAM_ARGS_METADATA, target, name) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  let socket: number | undefined;
  let body: number | undefined;
  for (const [key, param] of Object.entries(params)) {
    const type = Number(key.split(':')[0]);
    if (type === WsParamtype.SOCKET) socket = param.index;
    if (type === WsParamtype.PAYLOAD && param.data === undefined) body = param.index;
  }
  if (socket === undefined || body === undefined) {
    throw new Error(
      `${target.name}.${name} has @ActsAs, so it needs @ConnectedSocket() and the whole payload (@LegacyBody() or @MessageBody(pipe))`,
    );
  }
  return { socket, body };
}
