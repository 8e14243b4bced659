import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { createAdapter } from '@socket.io/redis-adapter';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import { ServerLifecycle } from '../lifecycle/server-lifecycle.js';
import { chatPacketParser } from '../realtime/json-text.js';
import { RedisConnections } from '../redis/redis-connections.js';
import type { ChatSocket } from './chat-socket.js';

/**
 * Socket.IO v4 that old apps can talk to: Engine.IO v3 (Socket.IO v2 clients)
 * allowed, both transports, the configured frame limit (contract, "Transport").
 * With REDIS_URL, rooms and emits span every node through the Redis adapter.
 */
export class LegacyIoAdapter extends IoAdapter {
  /** Per socket, the promise of the last event it sent that the server is still handling. */
  private readonly pending = new WeakMap<object, Promise<void>>();
  private lifecycle?: ServerLifecycle;
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
      cors: {
        origin: this.config.corsOrigin === '*' ? true : this.config.corsOrigin.split(','),
        credentials: true,
      },
      // A draining node takes no new connections; the client's retry lands on another node.
      allowRequest: (_request, callback) => callback(null, !this.lifecycle?.draining),
    } as ServerOptions);
    const redis = this.app.get(RedisConnections);
    if (redis.commands && redis.subscriber) {
      // The classic pub/sub adapter: every node hears every broadcast, which suits a
      // handful of nodes on one Redis (the sharded adapter is for Redis Cluster).
      server.adapter(
        createAdapter(redis.commands, redis.subscriber, {
          key: redis.key('socket.io'),
          requestsTimeout: 2000,
        }),
      );
    }
    return server;
  }

  /**
   * Handles each socket's events one after another, in the order they arrived
   * (Nest runs them concurrently): a chat's messages are stored and delivered
   * in the order they were typed, and connect_user settles before what follows.
   * Different sockets still run in parallel. Each event is counted in flight
   * (shutdown waits for it) and logs with its own correlation id.
   *
   * Plain listeners instead of Nest's per-socket RxJS pipelines (one per event
   * name and socket): same semantics, a fraction of the memory per idle socket.
   */
  override bindMessageHandlers(
    socket: ChatSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(String(message), (...args: unknown[]) => {
        // As Nest's fromEvent: one argument as is, several as an array.
        const { data, ack } = this.mapPayload(args.length > 1 ? args : args[0]);
        this.lifecycle?.eventStarted();
        const previous = this.pending.get(socket) ?? Promise.resolve();
        const current = previous
          // Settled inside the context too: Nest returns an Observable that runs the
          // handler only when subscribed.
          .then(() =>
            this.inContext(socket, message, () => this.settle(callback(data, ack), transform)),
          )
          .then((response) => {
            if (response === null || response === undefined) return;
            const reply = response as { event?: string; data?: unknown };
            if (reply.event)
              (socket.emit as (e: string, d: unknown) => boolean)(reply.event, reply.data);
            else if (!isAckHandledManually && typeof ack === 'function') ack(response);
          })
          .catch((error: unknown) => this.logger.error(error))
          .finally(() => {
            this.lifecycle?.eventFinished();
            if (this.pending.get(socket) === current) this.pending.delete(socket);
          });
        this.pending.set(socket, current);
      });
    }
  }

  /** A handler's result: awaited, and if that is an Observable, its last value. */
  private async settle(
    result: unknown,
    transform: (data: unknown) => Observable<unknown>,
  ): Promise<unknown> {
    // Nest's proxy resolves to an Observable that runs the handler when subscribed.
    const value = await result;
    if (isObservable(value)) return lastValueFrom(transform(value), { defaultValue: undefined });
    return value;
  }

  /** Runs a handler so that every log line it writes carries the event's correlation id. */
  private inContext<T>(socket: ChatSocket, event: unknown, run: () => T): T {
    if (!this.eventLogger) return run();
    return this.eventLogger.runInContext(run, {
      bindings: {
        eventId: randomUUID(),
        event: String(event),
        socketId: socket.id,
        userId: socket.data.userId,
      },
    });
  }
}
