import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';

/**
 * Socket.IO v4 that old apps can talk to: Engine.IO v3 (Socket.IO v2 clients)
 * allowed, both transports, the configured frame limit (contract, "Transport").
 */
export class LegacyIoAdapter extends IoAdapter {
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
}
