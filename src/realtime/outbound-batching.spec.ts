import { EventEmitter } from 'node:events';
import { OutboundBatching } from './outbound-batching.js';
import type { SocketServer } from './socket-server.js';

/** Stands in for engine.io's Socket class: flush() writes what was sent since the last flush. */
class FakeConnection {
  static written: string[] = [];
  readonly queued: string[] = [];
  corked = 0;
  readonly transport = {
    name: 'websocket',
    socket: {
      _socket: {
        cork: () => void this.corked++,
        uncork: () => void this.corked--,
      },
    },
  };

  constructor(
    readonly name: string,
    private readonly failing = false,
  ) {}

  send(packet: string): void {
    this.queued.push(packet);
    this.flush();
  }

  flush(): void {
    if (this.failing) throw new Error('transport closed');
    if (this.queued.length === 0) return;
    FakeConnection.written.push(`${this.name}:${this.queued.splice(0).join('+')}@${this.corked}`);
  }
}

function attached(): { batching: OutboundBatching; connect: (c: FakeConnection) => void } {
  const engine = new EventEmitter();
  const sockets = {
    onAttach: (listener: (server: unknown) => void) => listener({ engine }),
  } as unknown as SocketServer;
  const batching = new OutboundBatching(sockets);
  return { batching, connect: (connection) => engine.emit('connection', connection) };
}

const turnDone = () => new Promise((resolve) => setImmediate(resolve));

describe('OutboundBatching', () => {
  const original = FakeConnection.prototype.flush;
  let batching: OutboundBatching;
  let connect: (c: FakeConnection) => void;

  beforeEach(() => {
    FakeConnection.written = [];
    ({ batching, connect } = attached());
  });

  afterEach(() => {
    batching.onModuleDestroy();
    FakeConnection.prototype.flush = original;
    for (const key of Object.getOwnPropertySymbols(FakeConnection.prototype)) {
      delete (FakeConnection.prototype as unknown as Record<symbol, unknown>)[key];
    }
  });

  it('writes at once when nothing holds', () => {
    const a = new FakeConnection('a');
    connect(a);
    a.send('1');
    a.send('2');
    expect(FakeConnection.written).toEqual(['a:1@0', 'a:2@0']);
  });

  it("holds writes until the turn's promise jobs are done, then writes each socket's packets at once, corked, in order", async () => {
    const a = new FakeConnection('a');
    const b = new FakeConnection('b');
    connect(a);
    batching.holdWrites();
    a.send('1');
    await Promise.resolve();
    b.send('x');
    await Promise.resolve().then(() => Promise.resolve());
    a.send('2');
    expect(FakeConnection.written).toEqual([]);
    await turnDone();
    expect(FakeConnection.written).toEqual(['a:1+2@1', 'b:x@1']);
    expect([a.corked, b.corked]).toEqual([0, 0]);
    a.send('3');
    expect(FakeConnection.written).toEqual(['a:1+2@1', 'b:x@1', 'a:3@0']);
  });

  it("a socket whose write fails does not stop the others' writes", async () => {
    const a = new FakeConnection('a');
    const broken = new FakeConnection('broken', true);
    const c = new FakeConnection('c');
    connect(a);
    batching.holdWrites();
    a.send('1');
    broken.send('lost');
    c.send('2');
    await turnDone();
    expect(FakeConnection.written).toEqual(['a:1@1', 'c:2@1']);
    expect(broken.corked).toBe(0);
  });
});
