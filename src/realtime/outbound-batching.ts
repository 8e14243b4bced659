import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { SocketServer } from './socket-server.js';

/** What this needs of an Engine.IO socket (engine.io's Socket; `flush` is its own write path). */
interface EngineConnection {
  flush(): void;
  transport?: { name?: string; socket?: { _socket?: CorkableStream } };
}

interface CorkableStream {
  cork(): void;
  uncork(): void;
}

const BATCHINGS = Symbol('outbound batchings');
const ORIGINAL_FLUSH = Symbol('engine.io flush');

type WrappedPrototype = EngineConnection & {
  [BATCHINGS]?: OutboundBatching[];
  [ORIGINAL_FLUSH]?: (this: EngineConnection) => void;
};

/**
 * Engine.IO writes every packet as soon as it is sent, with one system call
 * per packet: at 5,000 msg/s, `writev` was the largest item of the node's CPU
 * profile (15 % of its samples). A stored batch is delivered in one turn of
 * the event loop, and under load it often has several packets for one socket.
 * While a batch is answered, the sockets' writes wait until that work is done
 * (the turn's promise jobs and ticks, no timer); then each socket writes all
 * of its packets at once: one `writev` for a websocket (its TCP socket is
 * corked while Engine.IO writes the frames), one response for a polling
 * client. Packets keep their order, and nothing waits past the current turn.
 */
@Injectable()
export class OutboundBatching implements OnModuleDestroy {
  private readonly logger = new Logger(OutboundBatching.name);
  private holding = false;
  private readonly held = new Set<EngineConnection>();
  private flushNow?: (this: EngineConnection) => void;
  private registry?: OutboundBatching[];

  constructor(sockets: SocketServer) {
    sockets.onAttach((server) => this.attach(server));
  }

  /**
   * Wraps Engine.IO's flush once per process, on the server's first
   * connection (its prototype is the class socket.io runs with).
   */
  private attach(server: SocketServer['server'] & object): void {
    server.engine.once('connection', (connection: EngineConnection) => {
      const prototype = Object.getPrototypeOf(connection) as WrappedPrototype;
      if (!prototype[BATCHINGS]) {
        const flush = prototype.flush;
        const batchings: OutboundBatching[] = [];
        prototype[BATCHINGS] = batchings;
        prototype[ORIGINAL_FLUSH] = flush;
        prototype.flush = function (this: EngineConnection) {
          // Only a node that is answering a batch holds (several apps can share a test process).
          const holder = batchings.find((batching) => batching.holding);
          if (holder) holder.held.add(this);
          else flush.call(this);
        };
      }
      this.flushNow = prototype[ORIGINAL_FLUSH];
      this.registry = prototype[BATCHINGS];
      this.registry!.push(this);
    });
  }

  /**
   * Holds every socket's writes until the work queued now (promise jobs and
   * ticks, however deep) is done, then writes each socket's packets at once.
   */
  holdWrites(): void {
    if (this.holding || !this.flushNow) return;
    this.holding = true;
    // Node drains every promise job, those queued meanwhile included, before it runs the next
    // tick: this tick runs after the deliveries that the batch's answers set off.
    queueMicrotask(() => process.nextTick(() => this.release()));
  }

  onModuleDestroy(): void {
    const index = this.registry?.indexOf(this) ?? -1;
    if (index >= 0) this.registry!.splice(index, 1);
    if (this.holding) this.release();
  }

  private release(): void {
    this.holding = false;
    const flush = this.flushNow!;
    for (const connection of this.held) {
      const transport = connection.transport;
      const tcp = transport?.name === 'websocket' ? transport.socket?._socket : undefined;
      tcp?.cork();
      try {
        flush.call(connection);
      } catch (error) {
        // One socket's failure (a transport closed under it) must not stop the others' writes.
        this.logger.warn(`could not write a socket's packets: ${String(error)}`);
      } finally {
        tcp?.uncork();
      }
    }
    this.held.clear();
  }
}
