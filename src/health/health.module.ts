import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module.js';
import { DatabaseProbe } from './database-probe.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [MessagesModule], controllers: [HealthController], providers: [DatabaseProbe] })
export class HealthModule {}
