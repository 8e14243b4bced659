import { Global, Module } from '@nestjs/common';
import { NodeBus } from './node-bus.js';
import { OutboundBatching } from './outbound-batching.js';
import { SocketServer } from './socket-server.js';
import { SocketTurns } from './socket-turns.js';
import { UserNotifier } from './user-notifier.js';

@Global()
@Module({
  providers: [SocketServer, SocketTurns, UserNotifier, NodeBus, OutboundBatching],
  exports: [SocketServer, SocketTurns, UserNotifier, NodeBus, OutboundBatching],
})
export class RealtimeModule {}
