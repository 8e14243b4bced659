import { Global, Module } from '@nestjs/common';
import { NodeBus } from './node-bus.js';
import { SocketServer } from './socket-server.js';
import { SocketTurns } from './socket-turns.js';
import { UserNotifier } from './user-notifier.js';

@Global()
@Module({
  providers: [SocketServer, SocketTurns, UserNotifier, NodeBus],
  exports: [SocketServer, SocketTurns, UserNotifier, NodeBus],
})
export class RealtimeModule {}
