import { Global, Module } from '@nestjs/common';
import { UserNotifier } from './user-notifier.js';

@Global()
@Module({ providers: [UserNotifier], exports: [UserNotifier] })
export class RealtimeModule {}
