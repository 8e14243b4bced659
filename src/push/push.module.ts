import { Module } from '@nestjs/common';
import { PresenceModule } from '../presence/presence.module.js';
import { UsersModule } from '../users/users.module.js';
import { PushDevicesController } from './push-devices.controller.js';
import { PushDevicesService } from './push-devices.service.js';
import { PushGateway } from './push.gateway.js';
import { PushPlanner } from './push-planner.js';
import { PushRepository } from './push.repository.js';
import { PushWorker } from './push.worker.js';

/**
 * Push notifications (issue 12): the planner the send batch asks which
 * messages push, the queue's worker and senders, and device tokens.
 */
@Module({
  imports: [UsersModule, PresenceModule],
  controllers: [PushDevicesController],
  providers: [PushPlanner, PushWorker, PushRepository, PushDevicesService, PushGateway],
  exports: [PushPlanner],
})
export class PushModule {}
