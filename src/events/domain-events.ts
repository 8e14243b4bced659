import { Injectable, Logger } from '@nestjs/common';

/**
 * Every domain event by name. Each feature module adds its own events to this
 * map by declaration merging, next to the service that publishes them:
 *
 *   declare module '../events/domain-events.js' {
 *     interface DomainEventMap { 'message.stored': MessageStored }
 *   }
 *
 * so this folder imports no feature and a new event touches one module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEventMap {}

export type DomainEventName = keyof DomainEventMap;

type Listener<E extends DomainEventName> = (event: DomainEventMap[E]) => void;

/**
 * The in-process bus: services publish after their transaction committed;
 * consumers (socket delivery, later push) subscribe. A small typed emitter
 * rather than @nestjs/event-emitter: names and payloads are checked by the
 * compiler, and delivery is synchronous, so events leave in the order they
 * were published (a socket sees a conversation's messages in order). A
 * consumer that throws is logged and never fails the publisher, whose change
 * is already committed.
 */
@Injectable()
export class DomainEvents {
  private readonly logger = new Logger(DomainEvents.name);
  private readonly listeners = new Map<DomainEventName, Array<Listener<never>>>();

  on<E extends DomainEventName>(name: E, listener: Listener<E>): void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as Listener<never>);
    this.listeners.set(name, list);
  }

  publish<E extends DomainEventName>(name: E, event: DomainEventMap[E]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<E>)(event);
      } catch (error) {
        this.logger.error(`a consumer of ${String(name)} failed: ${String(error)}`);
      }
    }
  }
}
