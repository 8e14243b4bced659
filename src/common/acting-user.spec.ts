import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ack, ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import {
  GATEWAY_METADATA,
  MESSAGE_MAPPING_METADATA,
  MESSAGE_METADATA,
} from '@nestjs/websockets/constants.js';
import { ForbiddenError } from '../errors/domain-errors.js';
import {
  ACTING_USER_CHECKED,
  ACTING_USER_METADATA,
  ActingUserChecks,
  ActsAs,
  BindsIdentity,
} from './acting-user.js';
import type { ChatSocket } from './chat-socket.js';

type Handler = (...args: unknown[]) => unknown;

const SRC = join(fileURLToPath(import.meta.url), '../..');

function gatewayFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return gatewayFiles(path);
    return entry.name.endsWith('.gateway.ts') ? [path] : [];
  });
}

/** Every @SubscribeMessage handler of every gateway class in src. */
async function handlers(): Promise<Array<[string, Handler]>> {
  const found: Array<[string, Handler]> = [];
  for (const file of gatewayFiles()) {
    const module = (await import(`./${relative(join(SRC, 'common'), file)}`)) as Record<
      string,
      unknown
    >;
    for (const exported of Object.values(module)) {
      if (typeof exported !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, exported)) {
        continue;
      }
      for (let p = exported.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
        for (const name of Object.getOwnPropertyNames(p)) {
          const value: unknown = exported.prototype[name];
          if (typeof value === 'function' && Reflect.getMetadata(MESSAGE_MAPPING_METADATA, value)) {
            found.push([`${exported.name}.${name}`, value as Handler]);
          }
        }
      }
    }
  }
  return found;
}

function socket(userId?: number): ChatSocket {
  return { data: { userId } } as unknown as ChatSocket;
}

describe('acting user', () => {
  it('every socket handler in src says whose it is (@ActsAs or @BindsIdentity) and is checked', async () => {
    const all = await handlers();
    // The gateways of today: the scan sees them (a broken scan would pass vacuously).
    expect(all.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'MessagesGateway.sendMessage',
        'PresenceGateway.connectUser',
        'ModerationGateway.reportUser',
        'ConversationsGateway.deleteChat',
      ]),
    );
    for (const [name, handler] of all) {
      expect([name, Reflect.getMetadata(ACTING_USER_METADATA, handler) !== undefined]).toEqual([
        name,
        true,
      ]);
      expect([name, Reflect.getMetadata(ACTING_USER_CHECKED, handler)]).toEqual([name, true]);
    }
    const bindsIdentity = all.filter(
      ([, handler]) => Reflect.getMetadata(ACTING_USER_METADATA, handler).kind === 'binds-identity',
    );
    expect(bindsIdentity.map(([name]) => name)).toEqual(['PresenceGateway.connectUser']);
  });

  describe('ActingUserChecks', () => {
    @ActingUserChecks()
    class TestGateway {
      calls: unknown[] = [];

      @SubscribeMessage('act')
      @ActsAs('senderId')
      act(@MessageBody() dto: { senderId: number }, @ConnectedSocket() _client: ChatSocket) {
        this.calls.push(dto);
        return 'done';
      }

      @SubscribeMessage('bind')
      @BindsIdentity()
      bind(@ConnectedSocket() _client: ChatSocket, @MessageBody() dto: unknown) {
        this.calls.push(dto);
      }

      @SubscribeMessage('forgotten')
      forgotten(@MessageBody() dto: unknown) {
        this.calls.push(dto);
      }

      notAHandler() {
        return 'untouched';
      }
    }

    it('runs the handler for the bound user', () => {
      const gateway = new TestGateway();
      expect(gateway.act({ senderId: 5 }, socket(5))).toBe('done');
      expect(gateway.calls).toEqual([{ senderId: 5 }]);
    });

    it.each([
      [undefined, 'this socket is not connected as a user yet: emit connect_user first'],
      [6, 'senderId must be the user this socket is connected as (6)'],
    ])('refuses a socket bound to %p with the contract message', (bound, message) => {
      const gateway = new TestGateway();
      expect(() => gateway.act({ senderId: 5 }, socket(bound))).toThrow(
        new ForbiddenError(message),
      );
      expect(() => gateway.act({ senderId: 5 }, socket(bound))).toThrow(ForbiddenError);
      expect(gateway.calls).toEqual([]);
    });

    it('lets @BindsIdentity run unbound, and refuses a handler that says nothing', () => {
      const gateway = new TestGateway();
      gateway.bind(socket(), { userId: 1 });
      expect(() => gateway.forgotten({})).toThrow(
        'TestGateway.forgotten declares neither @ActsAs nor @BindsIdentity: refused',
      );
      expect(gateway.calls).toEqual([{ userId: 1 }]);
      expect(gateway.notAHandler()).toBe('untouched');
    });

    it('keeps what Nest reads from the handler: its event and name', () => {
      const act = TestGateway.prototype.act;
      expect(Reflect.getMetadata(MESSAGE_METADATA, act)).toBe('act');
      expect(act.name).toBe('act');
    });

    it('refuses at definition a handler whose socket or payload it cannot see', () => {
      expect(() => {
        @ActingUserChecks()
        class _NoSocket {
          @SubscribeMessage('x')
          @ActsAs('userId')
          handle(@MessageBody() _dto: unknown, @Ack() _ack: unknown) {}
        }
      }).toThrow(/_NoSocket\.handle has @ActsAs, so it needs @ConnectedSocket\(\)/);
    });
  });
});
