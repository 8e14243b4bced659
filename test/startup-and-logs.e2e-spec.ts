// Start-up validation and structured logs of the built server (issue "Run as
// many nodes as needed", point 4): an invalid setting stops the process with a
// message naming the variable; logs are JSON lines carrying a correlation id
// per HTTP request and per socket event.
import { request } from './support/protocol.js';
import {
  ensureBuilt,
  killAllServerProcesses,
  runServerUntilExit,
  skipProcessSpecs,
  startServerProcess,
} from './support/server-process.js';
import { closeAllSockets, connectAs } from './support/sockets.js';
import { ADMIN_TOKEN } from './support/test-server.js';

const describeProcesses = skipProcessSpecs() ? describe.skip : describe;

beforeAll(() => {
  if (!skipProcessSpecs()) ensureBuilt();
}, 60_000);
afterAll(async () => {
  await closeAllSockets();
  await killAllServerProcesses();
});

describeProcesses('start-up validation', () => {
  it.each([
    ['PORT', 'abc'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['PRESENCE_TTL_MS', '5'],
    ['SHUTDOWN_TIMEOUT_MS', '-1'],
    ['DATABASE_URL', 'mysql://root@127.0.0.1/test'],
  ])('%s=%p stops the server with exit code 1, naming the variable', async (name, value) => {
    const { code, output } = await runServerUntilExit({ [name]: value });
    expect(code).toBe(1);
    expect(output).toContain(`Invalid configuration: ${name}`);
  });
});

describeProcesses('JSON logs with correlation ids', () => {
  it('logs HTTP requests with their X-Request-Id and socket events with an eventId', async () => {
    const server = await startServerProcess({ LOG_LEVEL: 'debug', DATA_DIR: 'memory://' });
    await server.createUser(1, 'Alice');
    await server.createUser(2, 'Bob');
    const response = await fetch(`${server.url}/admin/users/3`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'x-request-id': 'trace-admin-3',
      },
      body: JSON.stringify({ name: 'Carol' }),
    });
    expect(response.status).toBe(200);
    const alice = await connectAs(server.url, 1);
    await request(alice, 'send_message', {
      senderId: 1,
      receiverId: 2,
      message: 'logged',
      messageType: 0,
    });
    await closeAllSockets();
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, any>);
    const adminLine = entries.find((e) => e.req?.id === 'trace-admin-3');
    expect(adminLine).toMatchObject({ req: { method: 'PUT', url: '/admin/users/3' } });
    expect(adminLine?.res?.statusCode).toBe(200);
    const sendLine = entries.find(
      (e) => e.event === 'send_message' && e.context === 'SocketEvents',
    );
    expect(sendLine).toMatchObject({
      userId: 1,
      msg: expect.stringMatching(/^send_message: ok in /),
    });
    expect(sendLine?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    // Each event has its own id.
    const bindLine = entries.find(
      (e) => e.event === 'connect_user' && e.context === 'SocketEvents',
    );
    expect(bindLine?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bindLine?.eventId).not.toBe(sendLine?.eventId);
  }, 60_000);
});
