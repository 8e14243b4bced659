import { Global, Module } from '@nestjs/common';
import { PresenceModule } from '../presence/presence.module.js';
import { ServerLifecycle } from './server-lifecycle.js';

@Global()
@Module({ imports: [PresenceModule], providers: [ServerLifecycle], exports: [ServerLifecycle] })
export class LifecycleModule {}
