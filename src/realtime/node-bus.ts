import { Injectable, Logger } from '@nestjs/common';
import type { ChatServer } from '../common/chat-socket.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { SocketServer } from './socket-server.js';

/**
 * Messages between the nodes of a deployment (through the Redis adapter's
 * server-side emit), e.g. "this profile changed". One node: nobody to tell.
 */
@Injectable()
export class NodeBus {
  private readonly logger = new Logger('Nodes');

  constructor(
    private readonly sockets: SocketServer,
    private readonly redis: RedisConnections,
  ) {}

  private get server(): ChatServer | undefined {
    return this.sockets.server;
  }

  /**
   * Tells every other node (through the Redis adapter) and resolves once they
   * all acknowledged, or after `timeoutMs` (a node that does not answer is
   * down or stalled). A single node has no one to tell.
   */
  async toOtherNodes(event: string, payload: unknown, timeoutMs = 2000): Promise<void> {
    const server = this.server;
    // Without Redis there are no other nodes (and the in-memory adapter cannot do this).
    if (!server || !this.redis.enabled) return;
    if (!this.redis.isReady) {
      // Nobody can hear it now; see RedisConnections.onReconnect for the resync.
      this.logger.warn(`Redis is unreachable: ${event} not sent to the other nodes`);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      // The adapter's own request timeout applies too; this one also covers a Redis hiccup.
      timer = setTimeout(() => {
        this.logger.warn(`not every node acknowledged ${event} within ${timeoutMs} ms`);
        resolve();
      }, timeoutMs + 500);
      (server.serverSideEmit as (e: string, p: unknown, ack: (e: Error | null) => void) => boolean)(
        event,
        payload,
        (error) => {
          if (error) this.logger.warn(`not every node acknowledged ${event}: ${error.message}`);
          resolve();
        },
      );
    });
    clearTimeout(timer);
  }

  /**
   * Asks every other node and resolves with their answers. A node that does
   * not answer within the adapter's request timeout (2 s) is down or stalled:
   * its answer is missing, the others' are kept. A single node has no one to ask: [].
   */
  async askOtherNodes(event: string, payload: unknown): Promise<unknown[]> {
    const server = this.server;
    if (!server || !this.redis.enabled || !this.redis.isReady) return [];
    let timer: NodeJS.Timeout | undefined;
    const answers = await new Promise<unknown[]>((resolve) => {
      // The adapter answers by then; this covers a Redis hiccup that loses the request.
      timer = setTimeout(() => resolve([]), 2500);
      (
        server.serverSideEmit as (
          e: string,
          p: unknown,
          ack: (e: Error | null, answers: unknown[]) => void,
        ) => boolean
      )(event, payload, (error, replies) => {
        if (error) this.logger.warn(`not every node answered ${event}: ${error.message}`);
        resolve(Array.isArray(replies) ? replies : []);
      });
    });
    clearTimeout(timer);
    return answers;
  }

  /** Answers another node's askOtherNodes(`event`) with what `answer` returns. */
  onNodeRequest(event: string, answer: (payload: unknown) => unknown): void {
    this.sockets.onAttach((server) =>
      (
        server.on as (e: string, l: (p: unknown, ack?: (reply: unknown) => void) => void) => unknown
      )(event, (payload, ack) => {
        void Promise.resolve()
          .then(() => answer(payload))
          .then(
            (reply) => ack?.(reply),
            (error: unknown) => {
              this.logger.warn(`answering ${event} failed: ${String(error)}`);
              ack?.(null);
            },
          );
      }),
    );
  }

  /** Runs `listener` when another node sends `event` with toOtherNodes. */
  onNodeEvent(event: string, listener: (payload: unknown) => void): void {
    this.sockets.onAttach((server) => this.listen(server, event, listener));
  }

  private listen(server: ChatServer, event: string, listener: (payload: unknown) => void): void {
    (server.on as (e: string, l: (p: unknown, ack?: () => void) => void) => unknown)(
      event,
      (payload, ack) => {
        listener(payload);
        ack?.();
      },
    );
  }
}
