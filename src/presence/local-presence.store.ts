import { SocketServer } from '../realtime/socket-server.js';
import { PresenceStore } from './presence-store.js';

/** Single node: a user is online while one of their sockets is in their room here. */
export class LocalPresenceStore extends PresenceStore {
  constructor(private readonly sockets: SocketServer) {
    super();
  }

  socketsChanged(): void {
    // The socket.io rooms are the state; nothing else to keep.
  }

  onlineAmong(userIds: number[]): Promise<Set<number>> {
    return Promise.resolve(new Set(userIds.filter((id) => this.sockets.localSocketCount(id) > 0)));
  }

  withdraw(): Promise<void> {
    return Promise.resolve();
  }
}
