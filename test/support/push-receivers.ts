// Local stand-ins for the push providers: the app backend's webhook, and
// FCM (its OAuth token endpoint and HTTP v1 send), on free ports.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When it arrived (Date.now()). */
  at: number;
}

/** How the stand-in answers a request: a status, maybe headers and a body; `hang` never answers. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface StandIn {
  url: string;
  requests: ReceivedRequest[];
  /** Resolves once `count` requests matching `match` arrived (rejects after timeoutMs). */
  waitFor(
    count: number,
    match?: (r: ReceivedRequest) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** An HTTP server recording every request; `answer` decides each answer (200 {} by default). */
export async function startStandIn(
  answer: (request: ReceivedRequest, index: number) => Answer = () => ({ status: 200 }),
): Promise<StandIn> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(received);
      for (const wake of waiters) wake();
      const decided = answer(received, requests.length - 1);
      if (decided === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(decided.status, { 'content-type': 'application/json', ...decided.headers });
      res.end(decided.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor(count, match = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.filter(match);
          if (found.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${requests.filter(match).length} of ${count} requests within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** What an app backend does first: the signature over `<timestamp>.<body>` must match. */
export function verifyWebhookSignature(request: ReceivedRequest, secret = WEBHOOK_SECRET): boolean {
  const timestamp = String(request.headers['x-chat-timestamp']);
  const signature = String(request.headers['x-chat-signature']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`;
  return (
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}
