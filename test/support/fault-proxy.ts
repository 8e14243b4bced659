// A TCP proxy between the server and its database that can break the
// connections the way networks do: close them all, black-hole them (every
// byte either way is dropped, nothing is closed: what was lost stays lost, as
// with packets dropped for longer than TCP retries), or let requests through
// while dropping the answers and then close.
import { createServer, Socket, type Server } from 'node:net';

type Mode = 'pass' | 'stall' | 'cut-answers';

interface Link {
  client: Socket;
  upstream: Socket;
  /** An answer was dropped: closed shortly after, as a connection that died after commit. */
  cutPending: boolean;
}

export class FaultProxy {
  private mode: Mode = 'pass';
  private readonly links = new Set<Link>();
  private server?: Server;
  port = 0;

  constructor(
    private readonly upstreamPort: number,
    private readonly upstreamHost = '127.0.0.1',
  ) {}

  async listen(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Closes every connection at once (both sides). */
  terminateAll(): void {
    for (const link of this.links) this.close(link);
  }

  /** Every byte, either way, on old and new connections, is dropped; nothing is closed. */
  stall(): void {
    this.mode = 'stall';
  }

  /** Back to passing everything (what was dropped is gone). */
  heal(): void {
    this.mode = 'pass';
  }

  /**
   * Requests reach the database, answers are dropped, and each connection
   * that lost an answer is closed 100 ms later: the database committed, the
   * server never hears it. Until heal().
   */
  cutAnswers(): void {
    this.mode = 'cut-answers';
  }

  async close(): Promise<void>;
  close(link: Link): void;
  close(link?: Link): void | Promise<void> {
    if (link) {
      this.links.delete(link);
      link.client.destroy();
      link.upstream.destroy();
      return;
    }
    this.terminateAll();
    return new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    const upstream = new Socket();
    const link: Link = { client, upstream, cutPending: false };
    this.links.add(link);
    upstream.connect(this.upstreamPort, this.upstreamHost);
    client.on('data', (chunk: Buffer) => {
      if (this.mode !== 'stall' && !upstream.destroyed) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode === 'stall') return;
      if (this.mode === 'cut-answers') {
        if (!link.cutPending) {
          link.cutPending = true;
          setTimeout(() => this.close(link), 100);
        }
        return;
      }
      if (!client.destroyed) client.write(chunk);
    });
    // A side that ends or fails ends the other, except in a black hole, where nothing passes.
    const end = () => {
      if (this.mode === 'stall') return this.closeOnHeal(link);
      this.close(link);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', end);
      socket.on('end', end);
    }
  }

  private closeOnHeal(link: Link): void {
    const check = setInterval(() => {
      if (this.mode !== 'stall') {
        clearInterval(check);
        this.close(link);
      }
    }, 100);
    check.unref();
  }
}
