import { Injectable } from '@nestjs/common';

/**
 * A socket's events run one after another (LegacyIoAdapter), so an event sees
 * what every earlier event of its socket did. A handler may hand its turn on
 * early: from then on, the socket's next event, if it is another of the same
 * event, may start while this one finishes. send_message does, once its
 * message is queued for storage: a phone flushing twenty messages has them
 * stored in one batch instead of twenty round trips, and still in the order
 * they were sent (SendBatcher keeps a sender's and a conversation's order).
 * Any other next event still waits for every earlier event to finish.
 */
@Injectable()
export class SocketTurns {
  /** The socket's event that holds the turn now, if it may hand it on. */
  private readonly holders = new WeakMap<object, () => void>();

  /** Adapter: the socket's event now running hands its turn on by calling `handOn`. */
  begin(socket: object, handOn: () => void): void {
    this.holders.set(socket, handOn);
  }

  /** Adapter: the event finished (a turn not handed on passes now). */
  end(socket: object, handOn: () => void): void {
    if (this.holders.get(socket) === handOn) this.holders.delete(socket);
  }

  /** Handler: the socket's next event of the same name may start now. */
  handOn(socket: object): void {
    const handOn = this.holders.get(socket);
    if (!handOn) return;
    this.holders.delete(socket);
    handOn();
  }
}
