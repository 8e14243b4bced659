import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';

/**
 * Socket.IO v4 that old apps can talk to: Engine.IO v3 (Socket.IO v2 clients)
 * allowed, both transports, the configured frame limit (contract, "Transport").
 */
export class LegacyIoAdapter extends IoAdapter {
  /** Per socket, the promise of the last event it sent that the server is still handling. */
  private readonly pending = new WeakMap<object, Promise<unknown>>();

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, {
      ...options,
      path: this.config.socketPath,
      allowEIO3: true,
      transports: ['polling', 'websocket'],
      maxHttpBufferSize: this.config.maxHttpBufferSize,
      cors: {
        origin: this.config.corsOrigin === '*' ? true : this.config.corsOrigin.split(','),
        credentials: true,
      },
    } as ServerOptions);
  }

  /**
   * Handles each socket's events one after another, in the order they arrived
   * (Nest runs them concurrently): a chat's messages are stored and delivered
   * in the order they were typed, and connect_user settles before what follows.
   * Different sockets still run in parallel.
   */
  override bindMessageHandlers(
    socket: Parameters<IoAdapter['bindMessageHandlers']>[0],
    handlers: Parameters<IoAdapter['bindMessageHandlers']>[1],
    transform: Parameters<IoAdapter['bindMessageHandlers']>[2],
  ): void {
    const inOrder = handlers.map((handler) => ({
      ...handler,
      callback: (...args: unknown[]) => {
        const previous = this.pending.get(socket) ?? Promise.resolve();
        const current = previous.then(() => handler.callback(...args));
        this.pending.set(
          socket,
          current.catch(() => undefined),
        );
        return current;
      },
    }));
    super.bindMessageHandlers(socket, inOrder, transform);
  }
}
