import { Injectable, OnModuleInit } from '@nestjs/common';
import { NodeBus } from '../realtime/node-bus.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { ProfileCache } from './profile-cache.js';

const PROFILE_CHANGED = 'chat:profile_changed';
/** A node back from a Redis outage: changes it could not announce may be cached anywhere. */
const PROFILES_RESYNC = 'chat:profiles_resync';

/**
 * Keeps every node's profile cache true after an admin change: the node that
 * took the change tells the others and waits for their acknowledgement before
 * answering, so an answer given after the admin call shows the new profile
 * on any node (contract, "Rows"). One node: nothing to tell.
 */
@Injectable()
export class ProfileSync implements OnModuleInit {
  constructor(
    private readonly nodes: NodeBus,
    private readonly cache: ProfileCache,
    private readonly redis: RedisConnections,
  ) {}

  onModuleInit(): void {
    this.nodes.onNodeEvent(PROFILE_CHANGED, (id) => {
      if (typeof id === 'number') this.cache.invalidate(id);
    });
    this.nodes.onNodeEvent(PROFILES_RESYNC, () => this.cache.clear());
    // Announcements made or missed during a Redis outage are lost: start again from the database.
    this.redis.onReconnect(() => {
      this.cache.clear();
      void this.nodes.toOtherNodes(PROFILES_RESYNC, null);
    });
  }

  /** After this node changed the profile (and dropped its own entry). */
  async changedHere(id: number): Promise<void> {
    await this.nodes.toOtherNodes(PROFILE_CHANGED, id);
  }
}
