import { closeAllSockets } from './sockets.js';
import { startTestServer, type TestServer } from './test-server.js';

/** A user created before each test, with the arguments of TestServer.createUser. */
export type SeedUser = [id: number, name?: string, image?: string | null];

export interface SuiteOptions {
  /** Environment for startTestServer. */
  env?: Record<string, string>;
  /**
   * Before each test: empty every table and create these users (none for []); after
   * each test: close its sockets. Left out, the data stays from test to test.
   */
  users?: SeedUser[];
}

/**
 * Registers the hooks of an e2e describe block around one test server: start it before
 * all tests, reset and seed it before each (see `users`), close the sockets after each and
 * after all, then stop it. Returns that server; read it only inside tests and hooks.
 */
export function useTestServer(options: SuiteOptions = {}): TestServer {
  let current: TestServer | undefined;
  const running = (): TestServer => {
    if (!current) throw new Error('the test server runs only inside tests and hooks');
    return current;
  };

  beforeAll(async () => {
    current = await startTestServer(options.env);
  });
  const { users } = options;
  if (users) {
    beforeEach(async () => {
      await running().reset();
      for (const [id, name, image] of users) await running().createUser(id, name, image);
    });
    afterEach(async () => {
      await closeAllSockets();
    });
  }
  afterAll(async () => {
    await closeAllSockets();
    await current?.close();
  });

  return {
    get app() {
      return running().app;
    },
    get url() {
      return running().url;
    },
    get port() {
      return running().port;
    },
    createUser: (id, name, image) => running().createUser(id, name, image),
    reset: () => running().reset(),
    query: <T>(sql: string, params?: unknown[]) => running().query<T>(sql, params),
    close: () => running().close(),
  };
}
