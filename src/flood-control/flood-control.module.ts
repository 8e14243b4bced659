import { Global, Module } from '@nestjs/common';
import { FloodControlService } from './flood-control.service.js';

/** Flood control, used by the Socket.IO adapter, the exception filter and presence. */
@Global()
@Module({ providers: [FloodControlService], exports: [FloodControlService] })
export class FloodControlModule {}
