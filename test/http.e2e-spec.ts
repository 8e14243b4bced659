// GET /health and PUT /admin/users/:id, written from /work/shared/PROTOCOL.md.
import { count, sendMessage } from './support/protocol.js';
import { connectAs, waitFor, type TestSocket } from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import { ADMIN_TOKEN } from './support/test-server.js';

const ALICE = 1;
const BOB = 2;

interface HttpAnswer {
  status: number;
  body: any;
  contentType: string;
}

async function request(
  method: string,
  url: string,
  options: { body?: unknown; rawBody?: string; token?: string | null; authorization?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.token !== null) headers.authorization = `Bearer ${options.token ?? ADMIN_TOKEN}`;
  const response = await fetch(url, {
    method,
    headers,
    body:
      options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, contentType: response.headers.get('content-type') ?? '' };
}

/** The contract names no success code for PUT: any 2xx. */
function expectOk(answer: HttpAnswer): void {
  expect([answer.status, answer.status >= 200 && answer.status < 300]).toEqual([
    answer.status,
    true,
  ]);
}

/** The human-readable message of an error body, whatever its shape (string or list of strings). */
function errorText(body: any): string {
  const message = body && typeof body === 'object' ? body.message : body;
  return Array.isArray(message) ? message.join(' ') : String(message ?? '');
}

const send = (socket: TestSocket, senderId: number, receiverId: number, message: string) =>
  sendMessage(socket, { senderId, receiverId, messageType: 0, message });

describe('http', () => {
  const server = useTestServer({ users: [] });
  const putUser = (id: string | number, body: unknown, token?: string | null) =>
    request('PUT', `${server.url}/admin/users/${id}`, { body, token });

  async function storedUser(id: number): Promise<{ name: unknown; image: unknown } | undefined> {
    const rows = await server.query<{ name: unknown; image: unknown }>(
      'SELECT name, image FROM users WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  describe('GET /health', () => {
    it('answers 200 with JSON {"status":"ok"}', async () => {
      const answer = await request('GET', `${server.url}/health`, { token: null });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/application\/json/);
      expect(answer.body).toMatchObject({ status: 'ok' });
    });
  });

  describe('PUT /admin/users/:id', () => {
    it('creates a user who can then connect, and stores the profile', async () => {
      expectOk(await putUser(ALICE, { name: 'Alice', image: 'alice.png' }));
      expect(await storedUser(ALICE)).toEqual({ name: 'Alice', image: 'alice.png' });
      const socket = await connectAs(server.url, ALICE);
      expect(socket.connected).toBe(true);
    });

    it('answers 401 when the bearer token is missing or wrong, and changes nothing', async () => {
      const url = `${server.url}/admin/users/${ALICE}`;
      const body = { name: 'Mallory' };
      for (const authorization of [
        undefined,
        'Bearer wrong-token',
        `Bearer ${ADMIN_TOKEN}x`,
        'Bearer ',
        ADMIN_TOKEN,
        `Basic ${ADMIN_TOKEN}`,
      ]) {
        const answer = await request('PUT', url, {
          body,
          ...(authorization === undefined ? { token: null } : { authorization }),
        });
        expect([authorization, answer.status]).toEqual([authorization, 401]);
      }
      expect(await count(server, 'users')).toBe(0);
    });

    it('image missing or null means ""', async () => {
      expectOk(await putUser(ALICE, { name: 'Alice' }));
      expectOk(await putUser(BOB, { name: 'Bob', image: null }));
      expect(await storedUser(ALICE)).toMatchObject({ name: 'Alice' });
      expect(await storedUser(BOB)).toMatchObject({ name: 'Bob' });
      // whatever is stored, every answer shows ""
      const alice = await connectAs(server.url, ALICE);
      const row = await send(alice, ALICE, BOB, 'hi');
      expect(row).toMatchObject({ senderImage: '', recieverImage: '' });
    });

    it('accepts a name of 1 and of 100 code points (emoji)', async () => {
      expectOk(await putUser(ALICE, { name: 'A' }));
      const long = '🙂'.repeat(100); // 100 code points, 200 UTF-16 units
      expectOk(await putUser(BOB, { name: long, image: 'b.png' }));
      expect(await storedUser(ALICE)).toMatchObject({ name: 'A' });
      expect(await storedUser(BOB)).toEqual({ name: long, image: 'b.png' });
    });

    it('refuses a bad name with 400 and a message naming the field, and changes nothing', async () => {
      await server.createUser(ALICE, 'Alice', 'alice.png');
      for (const body of [
        {},
        { image: 'x.png' },
        { name: '' },
        { name: null },
        { name: 42 },
        { name: ['Alice'] },
        { name: { first: 'Alice' } },
        { name: '🙂'.repeat(101) },
        { name: 'x'.repeat(101) },
      ]) {
        const answer = await putUser(ALICE, body);
        expect([body, answer.status]).toEqual([body, 400]);
        expect(errorText(answer.body)).toMatch(/name/i);
      }
      expect(await storedUser(ALICE)).toEqual({ name: 'Alice', image: 'alice.png' });
      expect(await count(server, 'users')).toBe(1);
    });

    it('refuses a non-string image with 400 and a message naming the field', async () => {
      for (const image of [42, true, { url: 'x.png' }, ['x.png']]) {
        const answer = await putUser(ALICE, { name: 'Alice', image });
        expect([image, answer.status]).toEqual([image, 400]);
        expect(errorText(answer.body)).toMatch(/image/i);
      }
      expect(await count(server, 'users')).toBe(0);
    });

    it('refuses a body that is not a JSON object with 400', async () => {
      for (const rawBody of ['{"name":', '["Alice"]', '"Alice"', '42']) {
        const answer = await request('PUT', `${server.url}/admin/users/${ALICE}`, { rawBody });
        expect([rawBody, answer.status]).toEqual([rawBody, 400]);
      }
      expect(await count(server, 'users')).toBe(0);
    });

    it('refuses an invalid id with 400', async () => {
      for (const id of [
        '0',
        '-1',
        'abc',
        '1.5',
        '1e3',
        '12abc',
        '2147483648',
        '99999999999999999999',
      ]) {
        const answer = await putUser(id, { name: 'Nobody' });
        expect([id, answer.status]).toEqual([id, 400]);
      }
      expect(await count(server, 'users')).toBe(0);
      // the bounds themselves are valid
      expectOk(await putUser('1', { name: 'Lowest' }));
      expectOk(await putUser('2147483647', { name: 'Highest' }));
      expect(await count(server, 'users')).toBe(2);
    });

    it('PUT replaces the profile: a field left out is reset, not kept', async () => {
      await server.createUser(ALICE, 'Alice', 'alice.png');
      expectOk(await putUser(ALICE, { name: 'Alicia' }));
      expect(await storedUser(ALICE)).toMatchObject({ name: 'Alicia' });
      expect(await count(server, 'users')).toBe(1);
      await server.createUser(BOB, 'Bob');
      const alice = await connectAs(server.url, ALICE);
      const row = await send(alice, ALICE, BOB, 'hello');
      expect(row).toMatchObject({ senderName: 'Alicia', senderImage: '' });
    });

    it('profile changes show in every later socket answer', async () => {
      await server.createUser(ALICE, 'Alice', 'alice.png');
      await server.createUser(BOB, 'Bob', 'bob.png');
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);

      const before = await send(alice, ALICE, BOB, 'before');
      expect(before).toMatchObject({
        senderName: 'Alice',
        senderImage: 'alice.png',
        recieverName: 'Bob',
        recieverImage: 'bob.png',
      });

      expectOk(await putUser(ALICE, { name: 'Alicia', image: 'new-alice.png' }));
      expectOk(await putUser(BOB, { name: 'Robert', image: null }));

      // new_message, to the sender and to the receiver
      const delivered = waitFor(bob, 'new_message');
      const after = await send(alice, ALICE, BOB, 'after');
      const expected = {
        message: 'after',
        senderName: 'Alicia',
        senderImage: 'new-alice.png',
        recieverName: 'Robert',
        recieverImage: '',
      };
      expect(after).toMatchObject(expected);
      expect(await delivered).toMatchObject(expected);

      // chat_listing
      let answer = waitFor<any[]>(bob, 'chat_message');
      bob.emit('chat_listing', { userId: BOB });
      expect((await answer)[0]).toMatchObject({
        user_id: ALICE,
        userName: 'Alicia',
        userImage: 'new-alice.png',
      });
      answer = waitFor<any[]>(alice, 'chat_message');
      alice.emit('chat_listing', { userId: ALICE });
      expect((await answer)[0]).toMatchObject({ user_id: BOB, userName: 'Robert', userImage: '' });

      // get_message: requester's profile in sender*, the other party's in recieverName/image
      const history = waitFor<any[]>(bob, 'get_data_message');
      bob.emit('get_message', { senderId: BOB, receiverId: ALICE });
      const rows = await history;
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row).toMatchObject({
          senderName: 'Robert',
          senderImage: '',
          recieverName: 'Alicia',
          image: 'new-alice.png',
        });
      }
    });
  });

  describe('without ADMIN_TOKEN', () => {
    const bare = useTestServer({ env: { ADMIN_TOKEN: '' } });

    it('the admin API is off and answers 404, with or without a token', async () => {
      const url = `${bare.url}/admin/users/${ALICE}`;
      for (const options of [
        { token: null },
        { token: ADMIN_TOKEN },
        { authorization: 'Bearer ' },
        { token: '' },
      ]) {
        const answer = await request('PUT', url, { body: { name: 'Alice' }, ...options });
        expect([options, answer.status]).toEqual([options, 404]);
      }
      const [row] = await bare.query<{ count: unknown }>(
        'SELECT count(*) AS count FROM users WHERE id = $1',
        [ALICE],
      );
      expect(Number(row.count)).toBe(0);
    });

    it('still answers GET /health', async () => {
      const answer = await request('GET', `${bare.url}/health`, { token: null });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'ok' });
    });
  });
});
