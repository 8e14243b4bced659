import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InvalidInputError } from '../errors/domain-errors.js';
import { UserDataRegistry } from '../users/user-data-registry.js';
import { UsersService } from '../users/users.service.js';
import type { DevicePlatform } from './push-device.entity.js';
import { PushRepository } from './push.repository.js';

export interface Device {
  token: string;
  platform: DevicePlatform;
}

/** Users' FCM device tokens: set by the admin API or by the app (register_device). */
@Injectable()
export class PushDevicesService implements OnModuleInit {
  constructor(
    private readonly repository: PushRepository,
    private readonly users: UsersService,
    private readonly registry: UserDataRegistry,
  ) {}

  onModuleInit(): void {
    // Queued pushes carry the message's row (names, text): they go before the messages do.
    this.registry.register({
      name: 'push_deliveries',
      order: 200,
      erase: (manager, userId) => this.repository.erasePushesOf(manager, userId),
    });
    this.registry.register({
      name: 'push_devices',
      order: 200,
      erase: (manager, userId) => this.repository.eraseDevicesOf(manager, userId),
      count: async (manager, userId) => ({
        devices: await this.repository.countDevicesOf(manager, userId),
      }),
    });
  }

  /** Replaces the user's devices; answers the list now stored. */
  async replace(userId: number, devices: Device[]): Promise<Device[]> {
    await this.users.requireProfiles(userId);
    const tokens = new Set(devices.map((d) => d.token));
    if (tokens.size !== devices.length) throw new InvalidInputError('devices lists a token twice');
    await this.repository.replaceDevices(userId, devices);
    return this.repository.devicesOf(userId);
  }

  /** Adds (or moves to this user, or refreshes) one device token. */
  async register(userId: number, device: Device): Promise<void> {
    await this.users.requireProfiles(userId);
    await this.repository.registerDevice(userId, device.token, device.platform);
  }
}
