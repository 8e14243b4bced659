// Issue 13: the reports queue and bans through the admin API, with real sockets.
import { admin } from './support/admin.js';
import { hs256, SECRET } from './support/tokens.js';
import { expectException, request, sendMessage, snapshot, text } from './support/protocol.js';
import { collect, connect, connectAs, sleep, waitFor, type TestSocket } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;

/** Resolves with the socket's exception, then waits for its disconnect. */
function cutOff(socket: TestSocket): Promise<[any, string]> {
  return Promise.all([waitFor(socket, 'exception'), waitFor<string>(socket, 'disconnect')]);
}

describe('admin API: reports and bans', () => {
  const server = useTestServer({
    users: [
      [ALICE, 'Alice', 'alice.png'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
    ],
  });
  const call = (method: string, path: string, body?: unknown, token?: string | null) =>
    admin(server.url, method, path, body, token);

  async function report(socket: TestSocket, from: number, about: number, comment?: string) {
    await request(socket, 'report_user', {
      userId: from,
      user2Id: about,
      ...(comment === undefined ? {} : { comment }),
    });
  }

  describe('GET /admin/reports', () => {
    it('lists reports newest first with both profiles, comment, time, status and open count', async () => {
      const alice = await connectAs(server.url, ALICE);
      const carol = await connectAs(server.url, CAROL);
      const before = Math.floor(Date.now() / 1000);
      await report(alice, ALICE, BOB, 'spam');
      await report(carol, CAROL, BOB);
      await report(alice, ALICE, CAROL, 'rude');
      const { status, body } = await call('GET', '/admin/reports');
      expect(status).toBe(200);
      expect(body.nextCursor).toBeNull();
      expect(body.reports.map((r: any) => [r.reporterId, r.reportedId])).toEqual([
        [ALICE, CAROL],
        [CAROL, BOB],
        [ALICE, BOB],
      ]);
      const oldest = body.reports[2];
      expect(oldest).toMatchObject({
        reporter: { id: ALICE, name: 'Alice', image: 'alice.png' },
        reported: { id: BOB, name: 'Bob', image: '' },
        comment: 'spam',
        status: 'open',
        openReportsAgainstReported: 2,
        resolution: null,
      });
      expect(oldest.created).toBeGreaterThanOrEqual(before - 1);
      expect(oldest.created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      expect(body.reports[1].comment).toBeNull();
      expect(body.reports[0].openReportsAgainstReported).toBe(1);
    });

    it('pages with cursor and limit, and filters by status', async () => {
      const alice = await connectAs(server.url, ALICE);
      for (let i = 0; i < 5; i++) await report(alice, ALICE, BOB, `report ${i}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const { status, body } = await call('GET', `/admin/reports?limit=2${query}`);
        expect(status).toBe(200);
        expect(body.reports.length).toBeLessThanOrEqual(2);
        seen.push(...body.reports.map((r: any) => r.comment));
        cursor = body.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual(['report 4', 'report 3', 'report 2', 'report 1', 'report 0']);

      const [newest] = (await call('GET', '/admin/reports?limit=1')).body.reports;
      expect(
        (await call('POST', `/admin/reports/${newest.id}/resolve`, { action: 'dismiss' })).status,
      ).toBe(200);
      const open = (await call('GET', '/admin/reports?status=open')).body.reports;
      const resolved = (await call('GET', '/admin/reports?status=resolved')).body.reports;
      expect(open.map((r: any) => r.comment)).toEqual([
        'report 3',
        'report 2',
        'report 1',
        'report 0',
      ]);
      expect(open[0].openReportsAgainstReported).toBe(4);
      expect(resolved).toHaveLength(1);
      expect(resolved[0]).toMatchObject({
        id: newest.id,
        status: 'resolved',
        resolution: 'dismiss',
        resolvedBy: 'admin',
      });
    });

    it.each([
      ['status=closed', /status must be open or resolved/],
      ['limit=0', /limit must be a whole number from 1 to 100/],
      ['limit=101', /limit/],
      ['limit=ten', /limit/],
      ['cursor=abc', /cursor/],
      ['cursor=-1', /cursor/],
      ['page=2', /page should not exist/],
    ])('refuses ?%s with 400 naming the parameter', async (query, message) => {
      const { status, body } = await call('GET', `/admin/reports?${query}`);
      expect(status).toBe(400);
      expect(JSON.stringify(body.message)).toMatch(message);
    });
  });

  describe('POST /admin/reports/:id/resolve', () => {
    it('dismiss closes the report and bans no one', async () => {
      const alice = await connectAs(server.url, ALICE);
      await report(alice, ALICE, BOB, 'meh');
      const [{ id }] = (await call('GET', '/admin/reports')).body.reports;
      const { status, body } = await call('POST', `/admin/reports/${id}/resolve`, {
        action: 'dismiss',
        note: 'not abuse',
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        id,
        status: 'resolved',
        resolution: 'dismiss',
        note: 'not abuse',
      });
      expect(body.resolved).toBeGreaterThan(0);
      expect(await server.query('SELECT * FROM bans')).toEqual([]);
      // Resolved already: 409, nothing changes.
      const before = await snapshot(server, ['reports', 'bans']);
      const again = await call('POST', `/admin/reports/${id}/resolve`, { action: 'ban' });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(`report ${id} is already resolved`);
      expect(await snapshot(server, ['reports', 'bans'])).toEqual(before);
    });

    it('ban bans the reported user with no end and cuts their sockets', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bobPhone = await connectAs(server.url, BOB);
      const bobTablet = await connectAs(server.url, BOB, { version: 'v2' });
      await report(alice, ALICE, BOB, 'harassment');
      const [{ id }] = (await call('GET', '/admin/reports')).body.reports;
      const cuts = [cutOff(bobPhone), cutOff(bobTablet)];
      const { status, body } = await call('POST', `/admin/reports/${id}/resolve`, {
        action: 'ban',
        note: 'harassment confirmed',
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'resolved', resolution: 'ban' });
      for (const [exception] of await Promise.all(cuts)) {
        expect(exception).toEqual({
          status: 'error',
          message: 'account suspended',
          event: 'connect_user',
        });
      }
      const user = (await call('GET', `/admin/users/${BOB}`)).body;
      expect(user.ban).toMatchObject({ reason: 'harassment confirmed', until: null, by: 'admin' });
      expect(alice.connected).toBe(true);
    });

    it.each([
      ['an unknown action', { action: 'delete' }, /action must be dismiss or ban/],
      ['no action', {}, /action must be dismiss or ban/],
      ['a note that is not a string', { action: 'dismiss', note: 5 }, /note must be a string/],
      [
        'a note of 1,001 characters',
        { action: 'dismiss', note: 'x'.repeat(1001) },
        /note must be at most 1000/,
      ],
      ['an unknown field', { action: 'dismiss', extra: true }, /extra should not exist/],
    ])('refuses %s with 400, changing nothing', async (_case, body, message) => {
      const alice = await connectAs(server.url, ALICE);
      await report(alice, ALICE, BOB);
      const [{ id }] = (await call('GET', '/admin/reports')).body.reports;
      const before = await snapshot(server, ['reports', 'bans']);
      const answer = await call('POST', `/admin/reports/${id}/resolve`, body);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.message)).toMatch(message);
      expect(await snapshot(server, ['reports', 'bans'])).toEqual(before);
    });

    it('answers 404 for an unknown report and 400 for a malformed id', async () => {
      expect((await call('POST', '/admin/reports/999/resolve', { action: 'dismiss' })).status).toBe(
        404,
      );
      const bad = await call('POST', '/admin/reports/abc/resolve', { action: 'dismiss' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/id must be a whole number/);
    });
  });

  describe('PUT and DELETE /admin/users/:id/ban', () => {
    it('cuts every socket of the user, refuses connect_user and lets it in again after the unban', async () => {
      const bob = await connectAs(server.url, BOB);
      const bobPolling = await connectAs(server.url, BOB, { transport: 'polling' });
      const alice = await connectAs(server.url, ALICE);
      const aliceExceptions = collect(alice, 'exception');
      const cuts = [cutOff(bob), cutOff(bobPolling)];
      const { status, body } = await call('PUT', `/admin/users/${BOB}/ban`, {
        reason: 'spam',
        until: null,
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        userId: BOB,
        banned: true,
        ban: { userId: BOB, reason: 'spam', until: null, by: 'admin' },
      });
      for (const [exception, reason] of await Promise.all(cuts)) {
        expect(exception.message).toBe('account suspended');
        expect(reason).toBe('io server disconnect');
      }
      const again = await connect(server.url);
      const refusal = await expectException(again, 'connect_user', { userId: BOB });
      expect(refusal.message).toBe('account suspended');
      // Unbound, its events are refused: nothing it sends is stored.
      await expectException(again, 'send_message', text(BOB, ALICE, 'let me in'));
      expect(await server.query('SELECT * FROM messages')).toEqual([]);
      expect(aliceExceptions).toEqual([]);

      const lifted = await call('DELETE', `/admin/users/${BOB}/ban`);
      expect(lifted).toEqual({
        status: 200,
        body: { userId: BOB, banned: false, ban: null, lifted: true },
      });
      expect((await call('DELETE', `/admin/users/${BOB}/ban`)).body.lifted).toBe(false);
      const back = await connectAs(server.url, BOB);
      expect((await sendMessage(back, text(BOB, ALICE, 'hello again'))).message).toBe(
        'hello again',
      );
    });

    it('the send statement refuses a banned sender even where this node has not heard of the ban', async () => {
      const bob = await connectAs(server.url, BOB);
      // Written behind the node's back, as a node that missed the announcement would see it.
      await server.query(
        `INSERT INTO bans (user_id, reason, until, created_by) VALUES ($1, 'x', NULL, 'test')`,
        [BOB],
      );
      const refusal = await expectException(bob, 'send_message', text(BOB, ALICE, 'sneaky'));
      expect(refusal.message).toBe('account suspended');
      expect(await server.query('SELECT * FROM messages')).toEqual([]);
    });

    it('lifts a ban by itself at until', async () => {
      const until = Math.floor(Date.now() / 1000) + 2;
      const bob = await connectAs(server.url, BOB);
      const cut = cutOff(bob);
      const { status, body } = await call('PUT', `/admin/users/${BOB}/ban`, {
        reason: 'cool off',
        until,
      });
      expect(status).toBe(200);
      expect(body.ban.until).toBe(until);
      await cut;
      const during = await connect(server.url);
      expect((await expectException(during, 'connect_user', { userId: BOB })).message).toBe(
        `account suspended until ${new Date(until * 1000).toISOString()}`,
      );
      await sleep(Math.max(until * 1000 - Date.now(), 0) + 100);
      const after = await connectAs(server.url, BOB);
      expect((await sendMessage(after, text(BOB, ALICE, 'I am back'))).message).toBe('I am back');
      expect((await call('GET', `/admin/users/${BOB}`)).body.ban).toBeNull();
    });

    it.each([
      [{ until: null }, /reason must be a string/],
      [{ reason: '', until: null }, /reason must not be empty/],
      [{ reason: 'x' }, /until must be unix seconds/],
      [{ reason: 'x', until: 'tomorrow' }, /until must be unix seconds/],
      [{ reason: 'x', until: 1.5 }, /until must be unix seconds/],
      [{ reason: 'x', until: 1000 }, /until must be a time in the future/],
      [{ reason: 'x', untl: 4102444800, until: null }, /untl should not exist/],
    ])('refuses %j with 400, changing nothing', async (body, message) => {
      const bob = await connectAs(server.url, BOB);
      const before = await snapshot(server, ['bans', 'admin_audit']);
      const answer = await call('PUT', `/admin/users/${BOB}/ban`, body);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.message)).toMatch(message);
      expect(await snapshot(server, ['bans', 'admin_audit'])).toEqual(before);
      expect(bob.connected).toBe(true);
    });

    it('answers 404 for an unknown user', async () => {
      const answer = await call('PUT', '/admin/users/999/ban', { reason: 'x', until: null });
      expect(answer).toMatchObject({ status: 404, body: { message: 'user 999 does not exist' } });
      expect((await call('DELETE', '/admin/users/999/ban')).status).toBe(404);
    });
  });

  it('every admin endpoint answers 401 without the token and 401 with a wrong one', async () => {
    const endpoints: Array<[string, string, unknown?]> = [
      ['GET', '/admin/reports'],
      ['POST', '/admin/reports/1/resolve', { action: 'dismiss' }],
      ['PUT', `/admin/users/${BOB}/ban`, { reason: 'x', until: null }],
      ['DELETE', `/admin/users/${BOB}/ban`],
    ];
    for (const [method, path, body] of endpoints) {
      expect((await call(method, path, body, null)).status).toBe(401);
    }
    expect((await call('GET', '/admin/reports', undefined, 'wrong-token-123')).status).toBe(401);
    expect(await server.query('SELECT * FROM bans')).toEqual([]);
  });
});

describe('admin API: bans in token mode', () => {
  const server = useTestServer({
    env: { AUTH_MODE: 'optional', AUTH_JWT_SECRET: SECRET },
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
    ],
  });

  it('refuses a banned user’s token handshake, and accepts it again after the unban', async () => {
    const token = await hs256(SECRET, { claims: { sub: String(BOB) } });
    const bob = await connect(server.url, { auth: { token } });
    const cut = cutOff(bob);
    await admin(server.url, 'PUT', `/admin/users/${BOB}/ban`, { reason: 'x', until: null });
    await cut;
    await expect(connect(server.url, { auth: { token } })).rejects.toThrow(/^account suspended/);
    await expect(connect(server.url, { version: 'v2', query: { token } })).rejects.toThrow(
      /account suspended/,
    );
    await admin(server.url, 'DELETE', `/admin/users/${BOB}/ban`);
    const back = await connect(server.url, { auth: { token } });
    expect(back.connected).toBe(true);
  });
});
