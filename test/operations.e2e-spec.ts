// Operations surface (issue "Run as many nodes as needed", point 4): /metrics
// in the Prometheus format counting what the server did, /health reporting
// Redis, and the request correlation id.
import { expectException, sendMessage } from './support/protocol.js';
import { connectAs } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;

/** The value of one sample line (`name{labels} value`), 0 when absent. */
function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function scrape(url: string): Promise<{ text: string; contentType: string }> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return { text: await response.text(), contentType: response.headers.get('content-type') ?? '' };
}

describe('operations', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
    ],
  });

  it('GET /metrics counts sockets, events by outcome, latency, stored messages, deliveries and errors', async () => {
    const before = (await scrape(server.url)).text;
    const alice = await connectAs(server.url, ALICE);
    await connectAs(server.url, BOB);
    await sendMessage(alice, {
      senderId: ALICE,
      receiverId: BOB,
      message: 'counted',
      messageType: 0,
    });
    await expectException(alice, 'send_message', {
      senderId: ALICE,
      receiverId: ALICE,
      message: 'me',
    });

    const { text, contentType } = await scrape(server.url);
    expect(contentType).toMatch(/^text\/plain/);
    const grew = (series: string) => sample(text, series) - sample(before, series);
    expect(sample(text, 'chat_connected_sockets')).toBe(2);
    expect(grew('chat_socket_events_total{event="connect_user",outcome="ok"}')).toBe(2);
    expect(grew('chat_socket_events_total{event="send_message",outcome="ok"}')).toBe(1);
    expect(grew('chat_socket_events_total{event="send_message",outcome="refused"}')).toBe(1);
    expect(grew('chat_socket_event_duration_seconds_count{event="send_message"}')).toBe(2);
    expect(grew('chat_messages_persisted_total')).toBe(1);
    // new_message to two users (each one delivery, whatever their socket count).
    expect(grew('chat_deliveries_total{event="new_message"}')).toBe(2);
    expect(text).toMatch(/^# TYPE chat_errors_total counter$/m);
    expect(text).toMatch(/^chat_process_resident_memory_bytes \d+/m);
  });

  it('GET /health says whether Redis is configured and up', async () => {
    const body = await (await fetch(`${server.url}/health`)).json();
    if (process.env.REDIS_URL) expect(body).toMatchObject({ redis: 'configured', redisUp: true });
    else {
      expect(body).toMatchObject({ redis: 'off' });
      expect(body).not.toHaveProperty('redisUp');
    }
    expect(body).toMatchObject({ status: 'ok', databaseUp: true, draining: false });
  });

  it("echoes the caller's X-Request-Id, or gives a new one", async () => {
    const given = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const fresh = await fetch(`${server.url}/health`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  // The send statement's estimated cost grows with the messages table until it passes
  // jit_above_cost; with JIT on, every batch then spent 100-300 ms compiling (see SESSION_OPTIONS).
  (process.env.DATABASE_URL ? it : it.skip)(
    'runs every Postgres session of its pool without JIT',
    async () => {
      const rows = await Promise.all(
        Array.from({ length: 6 }, () =>
          server.query<{ jit: string; pid: number }>(
            "SELECT current_setting('jit') AS jit, pg_backend_pid() AS pid, pg_sleep(0.05)",
          ),
        ),
      );
      const sessions = new Set(rows.map(([row]) => row.pid));
      expect(sessions.size).toBeGreaterThan(1);
      expect(rows.map(([row]) => row.jit)).toEqual(Array(6).fill('off'));
    },
  );
});
