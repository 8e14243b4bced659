import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { createAdapter } from '@socket.io/redis-adapter';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { Socket as TcpSocket } from 'node:net';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import { FloodControlService, type SocketQueue } from '../flood-control/flood-control.service.js';
import { SHUTTING_DOWN, type Refusal } from '../flood-control/refusal.js';
import { ServerLifecycle } from '../lifecycle/server-lifecycle.js';
import { chatPacketParser } from '../realtime/json-text.js';
import { SocketTurns } from '../realtime/socket-turns.js';
import { RedisConnections } from '../redis/redis-connections.js';
import type { ChatSocket } from '../common/chat-socket.js';
import { securityHeaders } from '../common/http-hardening.js';

/** A socket event's arguments as socket.io passes them: the payload(s), then the ack if any. */
type EventArgs = unknown[];
/** One of Nest's handlers, bound by Nest to one socket: (data, ack) => result. */
type BoundHandler = (data: unknown, ack?: unknown) => unknown;

/** The k-th handler Nest binds on every socket: the same event and ack mode on each. */
interface Route {
  readonly index: number;
  readonly message: string;
  readonly isAckHandledManually: boolean;
  /** Shared by every socket: socket.io calls it with `this` set to the socket. */
  readonly listener: (this: ChatSocket, ...args: EventArgs) => void;
}

/**
 * What the adapter keeps per socket: Nest's handlers bound to it and its event
 * queue (the last event's promise, and flood control's count and bytes of
 * what waits in it).
 */
interface SocketState extends SocketQueue {
  /** By route index; `handlerCount` of them so far. */
  readonly handlers: BoundHandler[];
  handlerCount: number;
  /** Nest's disconnect callbacks (one per gateway); `disconnectCount` of them so far. */
  readonly onDisconnect: Array<(reason: unknown) => void>;
  disconnectCount: number;
  /** Settles once every event it sent so far is handled. */
  pending: Promise<void> | undefined;
  /** The last event it sent, while the server still handles it. */
  last: EventTurn | undefined;
}

/** An admitted event's place in its socket's order (see SocketTurns). */
interface EventTurn {
  readonly event: string;
  /** Settles when its handler hands the turn on, or at the latest when it finished. */
  readonly handedOn: Promise<void>;
}

function noop(): void {}

/** Registered before the gateways' handlers, so they see the socket as it was. */
function forgetHandshakeRequest(socket: Socket): void {
  (socket.conn as { request: unknown }).request = null;
}

/**
 * An Engine.IO middleware, after the others (cors only sets headers). On a
 * websocket upgrade, `res` is Engine.IO's WebSocketResponse, which has just
 * added a `close` listener to the TCP socket to re-emit `close` on itself
 * (for middlewares such as pino-http). That listener keeps the response and
 * the upgrade request (headers, raw headers, stream state) alive as long as
 * the connection: about 1.3 KB per idle socket. Nothing here listens to the
 * response's `close`, so the listener goes. Should Engine.IO change this,
 * nothing is removed (the memory spec then fails).
 */
function releaseUpgradeRequest(
  _request: IncomingMessage,
  response: ServerResponse | EventEmitter,
  next: (error?: unknown) => void,
): void {
  const socket = (response as { socket?: unknown }).socket;
  if (
    !(response instanceof ServerResponse) &&
    response instanceof EventEmitter &&
    response.listenerCount('close') === 0 &&
    socket instanceof TcpSocket
  ) {
    // The most recent `close` listener: the one the response added to re-emit it.
    const reEmit = socket.rawListeners('close').at(-1) as (() => void) | undefined;
    if (reEmit) socket.removeListener('close', reEmit);
  }
  next();
}

/**
 * CORS for browsers on the Socket.IO path (README "Security"): by default any
 * origin may read answers, but never with credentials (`Access-Control-Allow-Origin: *`);
 * origins listed in CORS_ORIGIN get their origin echoed, with credentials.
 * Reflecting any origin with credentials is never done. Non-browser clients
 * (the mobile apps) ignore CORS.
 */
function corsOptions(config: AppConfig): NonNullable<ServerOptions['cors']> {
  const listed = config.corsOrigins;
  if (listed === '*') return { origin: '*', credentials: false };
  // Decided per request, so that an origin not listed gets no CORS header at all.
  return (request, callback) => {
    const origin = request.headers.origin;
    callback(
      null,
      typeof origin === 'string' && listed.includes(origin)
        ? { origin, credentials: true }
        : { origin: false },
    );
  };
}

/**
 * Socket.IO v4 that old apps can talk to: Engine.IO v3 (Socket.IO v2 clients)
 * allowed, both transports, the configured frame limit (contract, "Transport").
 * With REDIS_URL, rooms and emits span every node through the Redis adapter.
 */
export class LegacyIoAdapter extends IoAdapter {
  private readonly sockets = new WeakMap<object, SocketState>();
  /** By index, then event and ack mode (one each unless gateways bind differently per socket). */
  private readonly routes: Route[][] = [];
  /** The most handlers and disconnect callbacks Nest has bound on one socket. */
  private handlersPerSocket = 0;
  private gatewaysPerSocket = 0;
  private lifecycle?: ServerLifecycle;
  private floodControl?: FloodControlService;
  private turns?: SocketTurns;
  private eventLogger?: PinoLogger;

  constructor(
    private readonly app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  /** Resolved once all providers exist (the adapter itself is built before them). */
  async prepare(): Promise<void> {
    this.lifecycle = this.app.get(ServerLifecycle);
    this.floodControl = this.app.get(FloodControlService);
    this.turns = this.app.get(SocketTurns);
    this.eventLogger = await this.app.resolve(PinoLogger);
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      path: this.config.socketPath,
      allowEIO3: true,
      transports: ['polling', 'websocket'],
      maxHttpBufferSize: this.config.maxHttpBufferSize,
      // Sends the JSON that Postgres wrote for the big read answers as it is.
      parser: chatPacketParser,
      cors: corsOptions(this.config),
      // A draining node takes no new connections; the client's retry lands on another node.
      allowRequest: (_request, callback) => callback(null, !this.lifecycle?.draining),
    } as ServerOptions);
    const redis = this.app.get(RedisConnections);
    if (redis.publisher && redis.subscriber) {
      // The classic pub/sub adapter: every node hears every broadcast, which suits a
      // handful of nodes on one Redis (the sharded adapter is for Redis Cluster).
      server.adapter(
        createAdapter(redis.publisher, redis.subscriber, {
          key: redis.key('socket.io'),
          requestsTimeout: 2000,
        }),
      );
    }
    // socket.io's memory-usage advice: Engine.IO keeps each connection's first HTTP
    // request (headers, raw headers, stream state) for as long as the connection
    // lives. Nothing reads it once the socket joined the namespace: its handshake
    // (headers, query, url, address) is built by then and keeps what it needs.
    server.on('connection', forgetHandshakeRequest);
    // The HTTP API's security headers on Engine.IO's own answers too (polling, handshake, upgrade).
    server.engine.use(securityHeaders);
    server.engine.use(releaseUpgradeRequest);
    return server;
  }

  /**
   * Handles each socket's events one after another, in the order they arrived
   * (Nest runs them concurrently): a chat's messages are stored and delivered
   * in the order they were typed, and connect_user settles before what follows.
   * One exception, asked for by the handler (SocketTurns): consecutive events of
   * the same name may overlap once the earlier one handed its turn on.
   * Different sockets still run in parallel. Each event is counted in flight
   * (shutdown waits for it) and logs with its own correlation id.
   *
   * Idle sockets are most of a node's sockets, so what one costs is kept
   * small: no per-socket RxJS pipelines (as Nest's IoAdapter) and no closure
   * per socket and event either. Each event's listener is one function shared
   * by all sockets (socket.io calls it with the socket as `this`); per socket
   * there is only Nest's bound handlers in one array.
   */
  override bindMessageHandlers(
    socket: ChatSocket,
    handlers: MessageMappingProperties[],
    // Unused: Nest's transform turns an awaited Observable into itself (see settle).
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    const state = this.stateOf(socket);
    for (const { message, callback, isAckHandledManually } of handlers) {
      const route = this.route(state.handlerCount++, String(message), isAckHandledManually);
      state.handlers[route.index] = callback as BoundHandler;
      socket.on(route.message, route.listener as (...args: unknown[]) => void);
    }
    this.handlersPerSocket = Math.max(this.handlersPerSocket, state.handlerCount);
  }

  /**
   * Nest's disconnect callback of each gateway, all called by one listener per
   * socket (in gateway order, as with one `once` listener each: socket.io
   * emits `disconnect` once per socket).
   */
  override bindClientDisconnect(client: ChatSocket, callback: (reason: unknown) => void): void {
    const state = this.stateOf(client);
    state.onDisconnect[state.disconnectCount++] = callback;
    if (state.disconnectCount === 1) client.on('disconnect', this.disconnectListener);
    this.gatewaysPerSocket = Math.max(this.gatewaysPerSocket, state.disconnectCount);
  }

  /** Shared by every socket, as the routes' listeners are. */
  private readonly disconnectListener = ((adapter: LegacyIoAdapter) =>
    function (this: ChatSocket, reason: unknown) {
      const state = adapter.sockets.get(this);
      for (let i = 0; i < (state?.disconnectCount ?? 0); i++) state!.onDisconnect[i](reason);
    })(this);

  private stateOf(socket: ChatSocket): SocketState {
    let state = this.sockets.get(socket);
    if (!state) {
      // Sized as the sockets before (growing from empty would leave room for 16 each).
      state = {
        handlers: new Array<BoundHandler>(this.handlersPerSocket),
        handlerCount: 0,
        onDisconnect: new Array<(reason: unknown) => void>(this.gatewaysPerSocket),
        disconnectCount: 0,
        pending: undefined,
        last: undefined,
        waiting: 0,
        waitingBytes: 0,
      };
      this.sockets.set(socket, state);
    }
    return state;
  }

  /**
   * Nest binds the same handlers in the same order on every socket, so the
   * k-th one is the same event everywhere and its listener can be shared.
   */
  private route(index: number, message: string, isAckHandledManually: boolean): Route {
    // Found without allocating: this runs for every handler of every new socket.
    const candidates = (this.routes[index] ??= []);
    for (const route of candidates) {
      if (route.message === message && route.isAckHandledManually === isAckHandledManually) {
        return route;
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const adapter = this;
    const route: Route = {
      index,
      message,
      isAckHandledManually,
      listener: function (this: ChatSocket, ...args: EventArgs) {
        adapter.onEvent(this, route, args);
      },
    };
    candidates.push(route);
    return route;
  }

  /**
   * An event arrived. Flood control admits it into the socket's queue or
   * refuses it at once, here, before anything of Nest's runs: a flood of
   * refusals costs one `exception` each. Admitted events run one after
   * another (see bindMessageHandlers).
   */
  private onEvent(socket: ChatSocket, route: Route, args: EventArgs): void {
    const state = this.sockets.get(socket);
    const callback = state?.handlers[route.index];
    const lifecycle = this.lifecycle;
    const floodControl = this.floodControl;
    if (!state || !callback || !lifecycle || !floodControl) return;
    // As Nest's fromEvent: one argument as is, several as an array.
    const { data, ack } = this.mapPayload(args.length > 1 ? args : args[0]);
    const admitted = lifecycle.draining
      ? SHUTTING_DOWN
      : (floodControl.outboundRefusal(socket) ??
        floodControl.admit(state, data, lifecycle.pending));
    if (typeof admitted !== 'number') {
      this.refuse(socket, route.message, ack, admitted);
      return;
    }
    lifecycle.eventStarted();
    // After every earlier event, or, behind an event of the same name that handed its turn
    // on (SocketTurns), as soon as it did.
    const previous = state.last;
    const after = previous?.event === route.message ? previous.handedOn : state.pending;
    let handOn!: () => void;
    const turn: EventTurn = {
      event: route.message,
      handedOn: new Promise<void>((resolve) => (handOn = resolve)),
    };
    const handled = (after ?? Promise.resolve())
      .then(() => this.atTurn(socket, route, callback, data, ack, handOn))
      .catch((error: unknown) => this.logger.error(error))
      .finally(() => {
        handOn();
        floodControl.finished(state, admitted);
        lifecycle.eventFinished();
        if (state.last === turn) state.last = undefined;
      });
    const all = state.pending ? Promise.all([state.pending, handled]).then(noop) : handled;
    state.pending = all;
    state.last = turn;
    void all.then(() => {
      if (state.pending === all) state.pending = undefined;
    });
  }

  /**
   * An admitted event's turn: dropped if its socket is gone, refused while the
   * node drains or when over a rate limit, else handled by Nest and answered.
   */
  private async atTurn(
    socket: ChatSocket,
    route: Route,
    callback: BoundHandler,
    data: unknown,
    ack: unknown,
    handOn: () => void,
  ): Promise<void> {
    const floodControl = this.floodControl!;
    if (!socket.connected) return floodControl.dropped();
    if (this.lifecycle!.draining) return this.refuse(socket, route.message, ack, SHUTTING_DOWN);
    // Answers already queued behind this one may have filled the outbound bound since arrival.
    const unread = floodControl.outboundRefusal(socket);
    if (unread) return this.refuse(socket, route.message, ack, unread);
    const verdict = floodControl.rateRefusal(socket.id, socket.data.userId, route.message, data);
    if (verdict) {
      const refusal = await verdict;
      if (refusal) return this.refuse(socket, route.message, ack, refusal);
    }
    // Settled inside the context too: Nest returns an Observable that runs the
    // handler only when subscribed.
    const turns = this.turns!;
    turns.begin(socket, handOn);
    let response: unknown;
    try {
      response = await this.inContext(socket, route.message, () =>
        this.settle(callback(data, ack)),
      );
    } finally {
      turns.end(socket, handOn);
    }
    if (response === null || response === undefined) return;
    const reply = response as { event?: string; data?: unknown };
    if (reply.event) (socket.emit as (e: string, d: unknown) => boolean)(reply.event, reply.data);
    else if (!route.isAckHandledManually && typeof ack === 'function') ack(response);
  }

  /**
   * Answers a refused event with the contract's `exception` (and the ack), as
   * the exception filter would; closes the socket when flood control says it
   * has kept exceeding its limits.
   */
  private refuse(socket: ChatSocket, event: string, ack: unknown, refusal: Refusal): void {
    const closing = this.floodControl!.refused(socket, refusal);
    if (!socket.connected) return;
    const payload = { status: 'error', message: refusal.message, event };
    (socket.emit as (e: string, d: unknown) => boolean)('exception', payload);
    if (typeof ack === 'function') (ack as (answer: unknown) => void)(payload);
    if (closing) {
      const notice = { status: 'error', message: closing.message, event };
      (socket.emit as (e: string, d: unknown) => boolean)('exception', notice);
      socket.disconnect(true);
    }
  }

  /**
   * A handler's result: awaited, and if that is an Observable, its last value.
   * (What Nest's transform does too: awaited, nothing is a Promise any more,
   * and it passes an Observable through as it is.)
   */
  private async settle(result: unknown): Promise<unknown> {
    // Nest's proxy resolves to an Observable that runs the handler when subscribed.
    const value = await result;
    if (isObservable(value)) return lastValueFrom(value, { defaultValue: undefined });
    return value;
  }

  /** Runs a handler so that every log line it writes carries the event's correlation id. */
  private inContext<T>(socket: ChatSocket, event: string, run: () => T): T {
    if (!this.eventLogger) return run();
    return this.eventLogger.runInContext(run, {
      bindings: {
        eventId: randomUUID(),
        event,
        socketId: socket.id,
        userId: socket.data.userId,
      },
    });
  }
}
