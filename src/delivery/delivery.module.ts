import { Module } from '@nestjs/common';
import { SocketDelivery } from './socket-delivery.js';

/** Domain events -> socket events. A new consumer (push, audit) is a module like this one. */
@Module({ providers: [SocketDelivery] })
export class DeliveryModule {}
