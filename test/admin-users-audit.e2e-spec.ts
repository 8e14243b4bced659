// Issue 13: the admin user page, erasure and the audit trail.
import { admin } from './support/admin.js';
import {
  block,
  chatListing,
  expectException,
  getMessages,
  request,
  sendMessage,
  snapshot,
  text,
} from './support/protocol.js';
import { connect, connectAs, waitFor, type TestSocket } from './support/sockets.js';
import { useTestServer } from './support/suite.js';
import type { TestServer } from './support/test-server.js';

const ALICE = 1;
const BOB = 2;
const CAROL = 3;
/** Far from every serial the test makes, so no other row holds this number by chance. */
const ERASED = 987_654;
const ERASED_NAME = 'Zed-Erase-7f3a';

/** Where rows naming the erased user are allowed to remain (README "Moderation"). */
const REMAINING = new Set(['reports.reported_id', 'admin_audit.user_id']);

/**
 * Every column of every table (from information_schema, so tables added later
 * are covered) that still names `userId`: integer columns equal to it, text and
 * JSON columns containing it or `name`. Answers "table.column" => rows.
 */
async function rowsNaming(server: TestServer, userId: number, name: string) {
  const columns = await server.query<{
    table_name: string;
    column_name: string;
    data_type: string;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'migrations'`,
  );
  const found = new Map<string, number>();
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    let where: string;
    if (['integer', 'bigint', 'smallint', 'numeric'].includes(type)) {
      where = `"${column}" = ${userId}`;
    } else if (['text', 'character varying', 'json', 'jsonb', 'character'].includes(type)) {
      where = `"${column}"::text LIKE '%${userId}%' OR "${column}"::text LIKE '%${name}%'`;
    } else {
      continue;
    }
    const [{ n }] = await server.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM "${table}" WHERE ${where}`,
    );
    if (n > 0) found.set(`${table}.${column}`, n);
  }
  return found;
}

describe('admin API: users, erasure and audit', () => {
  const server = useTestServer({
    env: { ADMIN_TOKEN_LABEL: 'ops-console' },
    users: [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
      [ERASED, ERASED_NAME, 'zed.png'],
    ],
  });
  const call = (method: string, path: string, body?: unknown) =>
    admin(server.url, method, path, body);

  async function send(socket: TestSocket, from: number, to: number, message: string) {
    const row = await sendMessage(socket, text(from, to, message));
    expect(row.message).toBe(message);
    return row;
  }

  describe('GET /admin/users/:id', () => {
    it('answers the profile, the ban in force, the counts and whether the user is online', async () => {
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(alice, ALICE, BOB, 'one');
      await send(alice, ALICE, BOB, 'two');
      await send(bob, BOB, ALICE, 'three');
      await send(alice, ALICE, CAROL, 'four');
      await request(bob, 'report_user', { userId: BOB, user2Id: ALICE, comment: 'x' });
      await block(bob, BOB, ALICE, 1);
      const { status, body } = await call('GET', `/admin/users/${ALICE}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        profile: { id: ALICE, name: 'Alice', image: '' },
        ban: null,
        counts: {
          conversations: 2,
          messagesSent: 3,
          reportsAgainst: 1,
          openReportsAgainst: 1,
          reportsMade: 0,
          blocksMade: 0,
          blockedBy: 1,
        },
        online: true,
      });
      expect(typeof body.profile.created).toBe('number');
      alice.close();
      await call('PUT', `/admin/users/${ALICE}/ban`, { reason: 'test', until: null });
      const later = (await call('GET', `/admin/users/${ALICE}`)).body;
      expect(later.online).toBe(false);
      expect(later.ban).toMatchObject({
        userId: ALICE,
        reason: 'test',
        until: null,
        by: 'ops-console',
      });
    });

    it('answers 404 for an unknown user and 400 for a malformed id', async () => {
      expect((await call('GET', '/admin/users/999')).status).toBe(404);
      const bad = await call('GET', '/admin/users/0');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/id must be a whole number/);
    });
  });

  describe('DELETE /admin/users/:id', () => {
    it('erases the user: no row names them but the reports against them and the audit trail', async () => {
      const zed = await connectAs(server.url, ERASED);
      const zedTablet = await connectAs(server.url, ERASED, { version: 'v2' });
      const alice = await connectAs(server.url, ALICE);
      const bob = await connectAs(server.url, BOB);
      await send(zed, ERASED, ALICE, 'hi Alice');
      await send(alice, ALICE, ERASED, 'hi Zed');
      await send(zed, ERASED, BOB, 'hi Bob');
      await send(alice, ALICE, BOB, 'Alice to Bob, stays');
      await getMessages(alice, { senderId: ALICE, receiverId: ERASED });
      await getMessages(zed, { senderId: ERASED, receiverId: ALICE });
      await block(zed, ERASED, CAROL, 1);
      await block(bob, BOB, ERASED, 1);
      await request(zed, 'report_user', { userId: ERASED, user2Id: ALICE, comment: 'by zed' });
      await request(alice, 'report_user', { userId: ALICE, user2Id: ERASED, comment: 'about zed' });
      await request(bob, 'report_user', { userId: BOB, user2Id: ERASED });
      await request(alice, 'delete_chat', { senderId: ALICE, receiverId: ERASED }, 'cleared_chat');
      await call('PUT', `/admin/users/${ERASED}/ban`, {
        reason: 'before the erasure',
        until: null,
      });
      expect((await rowsNaming(server, ERASED, ERASED_NAME)).size).toBeGreaterThan(5);

      // Banned: connect_user refused; erasing a banned user works the same (below, after the unban).
      const refused = await expectException(await connect(server.url), 'connect_user', {
        userId: ERASED,
      });
      expect(refused.message).toBe('account suspended');
      await call('DELETE', `/admin/users/${ERASED}/ban`);
      const zedPhone = await connectAs(server.url, ERASED);
      const cut = Promise.all([waitFor(zedPhone, 'exception'), waitFor(zedPhone, 'disconnect')]);

      const { status, body } = await call('DELETE', `/admin/users/${ERASED}`);
      expect(status).toBe(200);
      expect(body.userId).toBe(ERASED);
      expect(body.removed).toMatchObject({
        users: 1,
        messages: 3,
        chat_constants: 2,
        blocks: 2,
        reports: 1,
        feed_heads: 1,
      });
      expect(body.removed.feed_events).toBeGreaterThan(0);
      const [exception] = await cut;
      expect(exception).toEqual({
        status: 'error',
        message: 'account deleted',
        event: 'connect_user',
      });
      expect(zed.connected || zedTablet.connected).toBe(false);

      expect([...(await rowsNaming(server, ERASED, ERASED_NAME)).keys()].sort()).toEqual(
        [...REMAINING].sort(),
      );
      // The partners lost those conversations; theirs with each other stays.
      expect((await chatListing(alice, ALICE)).map((c) => c.user_id)).toEqual([BOB]);
      expect((await chatListing(bob, BOB)).map((c) => c.user_id)).toEqual([ALICE]);
      const reports = (await call('GET', '/admin/reports')).body.reports;
      expect(reports.map((r: any) => [r.reporterId, r.reportedId, r.reported])).toEqual([
        [BOB, ERASED, null],
        [ALICE, ERASED, null],
      ]);
      expect((await call('GET', `/admin/users/${ERASED}`)).status).toBe(404);
      const [erased] = (await call('GET', `/admin/audit?userId=${ERASED}&limit=1`)).body.entries;
      expect(erased).toMatchObject({
        actor: 'ops-console',
        action: 'user.erased',
        userId: ERASED,
        details: { removed: body.removed },
      });
      // Once gone, events naming the user are refused as for any unknown user.
      const refusal = await expectException(
        alice,
        'send_message',
        text(ALICE, ERASED, 'are you there?'),
      );
      expect(refusal.message).toBe(`user ${ERASED} does not exist`);
    });

    it('answers 404 for an unknown user and changes nothing', async () => {
      const before = await snapshot(server);
      expect((await call('DELETE', '/admin/users/999')).status).toBe(404);
      expect((await call('DELETE', '/admin/users/x')).status).toBe(400);
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe('GET /admin/audit', () => {
    it('keeps every admin action with who and what, newest first, in cursor pages', async () => {
      const alice = await connectAs(server.url, ALICE);
      await request(alice, 'report_user', { userId: ALICE, user2Id: BOB });
      const [{ id: reportId }] = (await call('GET', '/admin/reports')).body.reports;
      await call('PUT', `/admin/users/${CAROL}`, { name: 'Caroline' });
      await call('PUT', `/admin/users/${BOB}/ban`, { reason: 'spam', until: null });
      await call('DELETE', `/admin/users/${BOB}/ban`);
      await call('POST', `/admin/reports/${reportId}/resolve`, { action: 'ban', note: 'again' });
      await call('DELETE', `/admin/users/${CAROL}`);

      const entries: any[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const { status, body } = await call('GET', `/admin/audit?limit=3${query}`);
        expect(status).toBe(200);
        entries.push(...body.entries);
        cursor = body.nextCursor;
      } while (cursor !== null);
      // The seeded users' profiles first (oldest), then this test's actions.
      const actions = entries.map((e) => [e.action, e.userId, e.reportId]);
      expect(actions.slice(0, 7)).toEqual([
        ['user.erased', CAROL, null],
        ['report.resolved', BOB, reportId],
        ['user.banned', BOB, reportId],
        ['user.unbanned', BOB, null],
        ['user.banned', BOB, null],
        ['user.profile_saved', CAROL, null],
        ['user.profile_saved', ERASED, null],
      ]);
      expect(entries).toHaveLength(10);
      for (const entry of entries) {
        expect(entry.actor).toBe('ops-console');
        expect(typeof entry.time).toBe('number');
      }
      expect(entries[1].details).toEqual({ action: 'ban', note: 'again' });
      expect(entries[2].details).toEqual({ reason: 'again', until: null });
      expect(entries[4].details).toEqual({ reason: 'spam', until: null });
      expect(entries[5].details).toEqual({ created: false });
    });

    it.each([
      ['limit=0', /limit/],
      ['cursor=x', /cursor/],
      ['userId=abc', /userId/],
      ['action=ban', /action should not exist/],
    ])('refuses ?%s with 400', async (query, message) => {
      const { status, body } = await call('GET', `/admin/audit?${query}`);
      expect(status).toBe(400);
      expect(JSON.stringify(body.message)).toMatch(message);
    });

    it('answers 401 without the token', async () => {
      expect((await admin(server.url, 'GET', '/admin/audit', undefined, null)).status).toBe(401);
      expect(
        (await admin(server.url, 'GET', `/admin/users/${ALICE}`, undefined, null)).status,
      ).toBe(401);
      expect(
        (await admin(server.url, 'DELETE', `/admin/users/${ALICE}`, undefined, null)).status,
      ).toBe(401);
      expect((await call('GET', `/admin/users/${ALICE}`)).status).toBe(200);
    });
  });
});
