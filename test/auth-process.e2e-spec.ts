// Token identity in the built server (issue 9, part 1): invalid AUTH_* settings
// stop it naming the variables, legacy mode warns about key settings it
// ignores, and no token ever reaches the logs, even at trace level.
import { request } from './support/protocol.js';
import {
  ensureBuilt,
  killAllServerProcesses,
  runServerUntilExit,
  skipProcessSpecs,
  startServerProcess,
} from './support/server-process.js';
import { closeAllSockets, connect, type ConnectOptions } from './support/sockets.js';
import { hs256, OTHER_SECRET, SECRET } from './support/tokens.js';

const describeProcesses = skipProcessSpecs() ? describe.skip : describe;

beforeAll(() => {
  if (!skipProcessSpecs()) ensureBuilt();
}, 60_000);
afterAll(async () => {
  await closeAllSockets();
  await killAllServerProcesses();
});

describeProcesses('token identity in the server process', () => {
  it.each<[Record<string, string>, RegExp]>([
    [
      { AUTH_MODE: 'strict' },
      /Invalid configuration: AUTH_MODE must be one of legacy, optional, required/,
    ],
    [
      { AUTH_MODE: 'required' },
      /Invalid configuration: AUTH_MODE=required needs a key: set one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWKS_URL/,
    ],
    [
      { AUTH_MODE: 'optional', AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://id.example/jwks' },
      /Invalid configuration: AUTH_MODE=optional takes one key source, but AUTH_JWT_SECRET and AUTH_JWKS_URL are set/,
    ],
    [
      { AUTH_MODE: 'required', AUTH_JWT_PUBLIC_KEY: 'abc' },
      /Invalid configuration: AUTH_JWT_PUBLIC_KEY must be a PEM public key/,
    ],
  ])('%p stops the server with exit code 1, naming the variables', async (env, message) => {
    const { code, output } = await runServerUntilExit(env);
    expect(code).toBe(1);
    expect(output).toMatch(message);
  });

  it('legacy mode starts, warning that the key settings it was given are ignored', async () => {
    const server = await startServerProcess({
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'info',
      AUTH_JWT_SECRET: SECRET,
    });
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const warning = server
      .output()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((entry) => /AUTH_MODE is legacy/.test(entry.msg));
    expect(warning).toMatchObject({
      level: 40,
      msg: 'AUTH_MODE is legacy (no tokens checked), so AUTH_JWT_SECRET is ignored',
    });
  }, 60_000);

  it('never logs a token, accepted or refused, from any place in the handshake', async () => {
    const server = await startServerProcess({
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'trace',
      AUTH_MODE: 'optional',
      AUTH_JWT_SECRET: SECRET,
    });
    await server.createUser(1, 'Alice');
    const good = await hs256(SECRET, { claims: { sub: '1' }, expiresIn: 60 });
    const forged = await hs256(OTHER_SECRET, { claims: { sub: '1' } });
    const expired = await hs256(SECRET, { claims: { sub: '1' }, expiresIn: -60 });
    const carriers = (token: string): ConnectOptions[] => [
      { auth: { token } },
      { transport: 'polling', auth: { token } },
      { headers: { authorization: `Bearer ${token}` } },
      { transport: 'polling', headers: { authorization: `Bearer ${token}` } },
      { version: 'v2', query: { token } },
      { version: 'v2', transport: 'polling', query: { token } },
    ];
    for (const options of carriers(good)) {
      const socket = await connect(server.url, options);
      await request(socket, 'connect_user', { userId: 1 });
    }
    for (const token of [forged, expired]) {
      for (const options of carriers(token)) {
        await expect(connect(server.url, options)).rejects.toThrow(/invalid signature|expired/);
      }
    }
    await closeAllSockets();
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const output = server.output();
    // Refusals are logged, with their reason ...
    expect(output).toMatch(/refused \(auth_invalid_signature\): invalid signature/);
    expect(output).toMatch(/refused \(auth_expired\): token expired/);
    // ... and no part of a token that carries a secret (payload or signature) anywhere.
    for (const token of [good, forged, expired]) {
      const [, payload, signature] = token.split('.');
      expect(output).not.toContain(payload);
      expect(output).not.toContain(signature);
    }
  }, 60_000);
});
