import { jest } from '@jest/globals';
import type { ChatSocket } from '../common/chat-socket.js';
import type { BansService } from '../bans/bans.service.js';
import type { AppConfig } from '../config/app-config.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { UserNotifier } from '../realtime/user-notifier.js';
import type { HandshakeAuthMiddleware } from './handshake-auth.middleware.js';
import { TOKEN_EXPIRED_MESSAGE, TokenAuthGateway } from './token-auth.gateway.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The expiry timers alone: the socket, presence and notifier are stand-ins that record calls. */
function setUp(expiresInMs: number | undefined, clockToleranceS = 0) {
  const sent: unknown[] = [];
  const disconnects: boolean[] = [];
  const socket: { connected: boolean } & Record<string, unknown> = {
    id: 'socket-1',
    connected: true,
    data: {
      tokenUserId: 1,
      tokenExpiresAt:
        expiresInMs === undefined ? undefined : Math.floor((Date.now() + expiresInMs) / 1000),
    },
    disconnect(close: boolean) {
      disconnects.push(close);
      socket.connected = false;
    },
  };
  const gateway = new TokenAuthGateway(
    { auth: { mode: 'required', clockToleranceS, ignored: [] } } as unknown as AppConfig,
    {} as HandshakeAuthMiddleware,
    { bind: () => Promise.resolve() } as unknown as PresenceService,
    {
      toSocket: (_client: unknown, event: string, payload: unknown) => sent.push([event, payload]),
    } as unknown as UserNotifier,
    { refusal: () => undefined } as unknown as BansService,
  );
  gateway.handleConnection(socket as unknown as ChatSocket);
  return { gateway, socket: socket as unknown as ChatSocket, sent, disconnects };
}

describe('TokenAuthGateway expiry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('at exp sends the exception, then disconnects the socket', () => {
    const { sent, disconnects } = setUp(10_000);
    jest.advanceTimersByTime(9_000);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(sent).toEqual([
      ['exception', { status: 'error', message: TOKEN_EXPIRED_MESSAGE, event: 'connect_user' }],
    ]);
    expect(disconnects).toEqual([true]);
  });

  it('waits AUTH_CLOCK_TOLERANCE_S more, as the handshake check does', () => {
    const { disconnects } = setUp(10_000, 30);
    jest.advanceTimersByTime(39_000);
    expect(disconnects).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(disconnects).toEqual([true]);
  });

  it("waits for an exp beyond setTimeout's 24.8-day limit in steps, without firing early", () => {
    const start = Date.now();
    const { disconnects } = setUp(60 * DAY_MS);
    // A longer delay would fire after 1 ms (Node's rule, which the fake timers follow).
    jest.advanceTimersToNextTimer();
    expect(Date.now() - start).toBe(2 ** 31 - 1);
    expect(disconnects).toEqual([]);
    jest.advanceTimersByTime(59 * DAY_MS - (2 ** 31 - 1));
    expect(disconnects).toEqual([]);
    jest.advanceTimersByTime(DAY_MS);
    expect(disconnects).toEqual([true]);
  });

  it('forgets the timer when the socket disconnects first', () => {
    const { gateway, socket, sent } = setUp(10_000);
    gateway.handleDisconnect(socket);
    jest.advanceTimersByTime(20_000);
    expect(sent).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sets no timer for a token without exp', () => {
    setUp(undefined);
    expect(jest.getTimerCount()).toBe(0);
  });
});
