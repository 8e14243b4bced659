import { Global, Module } from '@nestjs/common';
import { NodeBus } from './node-bus.js';
import { SocketServer } from './socket-server.js';
import { UserNotifier } from './user-notifier.js';

@Global()
@Module({
  providers: [SocketServer, UserNotifier, NodeBus],
  exports: [SocketServer, UserNotifier, NodeBus],
})
export class RealtimeModule {}
