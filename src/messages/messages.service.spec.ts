import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';
import { UnknownUserError } from '../errors/domain-errors.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { ModerationService } from '../moderation/moderation.service.js';
import { MessageType } from './message.entity.js';
import { MessagesService } from './messages.service.js';

describe('MessagesService', () => {
  let context: ServiceContext;
  let messages: MessagesService;
  let moderation: ModerationService;
  let conversations: ConversationsService;

  beforeAll(async () => {
    context = await createServiceContext();
    messages = context.get(MessagesService);
    moderation = context.get(ModerationService);
    conversations = context.get(ConversationsService);
  });
  afterAll(() => context.close());
  beforeEach(() => context.reset(1, 2, 3));

  /** The answer decoded, as a client reads it. */
  async function history(...args: Parameters<MessagesService['history']>) {
    const { rows, markedRead } = await messages.history(...args);
    return { rows: rows.value(), markedRead };
  }

  async function sendText(from: number, to: number, text = 'hello') {
    const result = await messages.send(from, to, MessageType.Text, text);
    if (!result.stored) throw new Error(`not stored: ${result.refusal}`);
    return result.row;
  }

  describe('send', () => {
    it('stores the message and returns the row with both profiles as numbers and strings', async () => {
      const before = Math.floor(Date.now() / 1000);
      const row = await sendText(1, 2, 'hi there');
      expect(row).toEqual({
        id: expect.any(Number),
        senderId: 1,
        receiverId: 2,
        chatConstantId: expect.any(Number),
        groupId: 0,
        message: 'hi there',
        readStatus: 0,
        messageType: 0,
        deletedId: 0,
        created: expect.any(Number),
        updated: row.created,
        senderName: 'User 1',
        senderImage: '',
        recieverImage: '',
        recieverName: 'User 2',
      });
      expect(row.created).toBeGreaterThanOrEqual(before);
      const [conversation] = await context.dataSource.query('SELECT * FROM chat_constants');
      expect(conversation).toMatchObject({
        id: row.chatConstantId,
        last_message_id: row.id,
        sender_id: 1,
        receiver_id: 2,
      });
    });

    it('keeps one conversation per pair, whoever writes first, even at the same time', async () => {
      const rows = await Promise.all([
        sendText(1, 2),
        sendText(2, 1),
        sendText(1, 2),
        sendText(2, 1),
      ]);
      expect(new Set(rows.map((r) => r.chatConstantId)).size).toBe(1);
      const [{ count, last }] = await context.dataSource.query(
        'SELECT count(*)::int AS count, max(last_message_id) AS last FROM chat_constants',
      );
      expect(count).toBe(1);
      expect(last).toBe(Math.max(...rows.map((r) => r.id)));
    });

    it('refuses an unknown receiver and stores nothing', async () => {
      await expect(messages.send(1, 99, MessageType.Text, 'x')).rejects.toThrow(
        new UnknownUserError(99),
      );
      expect(await context.dataSource.query('SELECT id FROM messages')).toEqual([]);
      expect(await context.dataSource.query('SELECT id FROM chat_constants')).toEqual([]);
    });

    it('stores nothing while either user blocks the other; the sender’s own block wins', async () => {
      await moderation.setBlock(2, 1, 1);
      expect(await messages.send(1, 2, MessageType.Text, 'x')).toEqual({
        stored: false,
        refusal: 'You Are Blocked By This User',
      });
      await moderation.setBlock(1, 2, 1);
      expect(await messages.send(1, 2, MessageType.Text, 'x')).toEqual({
        stored: false,
        refusal: 'You Have Blocked This User',
      });
      expect(await messages.send(2, 1, MessageType.Text, 'x')).toEqual({
        stored: false,
        refusal: 'You Have Blocked This User',
      });
      expect(await context.dataSource.query('SELECT id FROM messages')).toEqual([]);
      await moderation.setBlock(1, 2, 0);
      await moderation.setBlock(2, 1, 0);
      expect((await messages.send(1, 2, MessageType.Image, 'pic.png')).stored).toBe(true);
    });
  });

  describe('history', () => {
    it('returns the pair’s messages in ascending order and marks those addressed to the requester read', async () => {
      const a = await sendText(1, 2, 'one');
      const b = await sendText(2, 1, 'two');
      await sendText(1, 3, 'elsewhere');
      const first = await history(2, 1);
      expect(first.rows.map((r) => r.id)).toEqual([a.id, b.id]);
      expect(first.markedRead).toBe(1);
      expect(first.rows.map((r) => r.readStatus)).toEqual([1, 0]);
      expect(first.rows[0]).toMatchObject({
        senderName: 'User 2',
        recieverName: 'User 1',
        image: '',
        senderImage: '',
      });
      const again = await history(2, 1);
      expect(again.markedRead).toBe(0);
    });

    it('pages with limit and beforeId, newest first but each page ascending', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 7; i++) ids.push((await sendText(1, 2, `m${i}`)).id);
      const newest = await history(1, 2, 3);
      expect(newest.rows.map((r) => r.id)).toEqual(ids.slice(4));
      const older = await history(1, 2, 3, ids[4]);
      expect(older.rows.map((r) => r.id)).toEqual(ids.slice(1, 4));
      const oldest = await history(1, 2, 3, ids[1]);
      expect(oldest.rows.map((r) => r.id)).toEqual([ids[0]]);
    });

    it('marks only the returned page as read', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await sendText(1, 2)).id);
      expect((await history(2, 1, 2)).markedRead).toBe(2);
      const unread = await context.dataSource.query(
        'SELECT id FROM messages WHERE read_status = 0 ORDER BY id',
      );
      expect(unread.map((r: { id: number }) => r.id)).toEqual(ids.slice(0, 2));
    });

    it('marks an older page read without touching the newer messages', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push((await sendText(i % 2 ? 2 : 1, i % 2 ? 1 : 2)).id);
      const older = await history(2, 1, 2, ids[4]);
      expect(older.rows.map((r) => r.id)).toEqual([ids[2], ids[3]]);
      // Of that page only ids[2] (1 -> 2) is addressed to the requester.
      expect(older.markedRead).toBe(1);
      expect(older.rows.map((r) => r.readStatus)).toEqual([1, 0]);
      const unread = await context.dataSource.query(
        'SELECT id FROM messages WHERE read_status = 0 AND receiver_id = 2 ORDER BY id',
      );
      expect(unread.map((r: { id: number }) => r.id)).toEqual([ids[0], ids[4]]);
    });

    it('counts the limit in visible messages only, and skips what the requester cleared', async () => {
      const cleared = [await sendText(1, 2, 'c0'), await sendText(2, 1, 'c1')];
      await conversations.clear(1, 2);
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await sendText(2, 1, `v${i}`)).id);
      const page = await history(1, 2, 3);
      expect(page.rows.map((r) => r.id)).toEqual(ids.slice(1));
      const rest = await history(1, 2, 3, ids[1]);
      expect(rest.rows.map((r) => r.id)).toEqual([ids[0]]);
      expect(rest.markedRead).toBe(1);
      // What the requester cleared stays unread, and still shows for the other user.
      const [hidden] = await context.dataSource.query(
        'SELECT read_status FROM messages WHERE id = $1',
        [cleared[1].id],
      );
      expect(hidden.read_status).toBe(0);
      const other = await history(2, 1, 6);
      expect(other.rows.map((r) => r.id)).toEqual([...cleared.map((r) => r.id), ...ids]);
      expect(other.rows.map((r) => r.deletedId)).toEqual([1, 1, 0, 0, 0, 0]);
      expect(other.markedRead).toBe(1);
    });

    it('returns the whole history when the limit exceeds it, and [] for a pair without one', async () => {
      const a = await sendText(1, 2);
      const b = await sendText(2, 1);
      expect((await history(1, 2, 500)).rows.map((r) => r.id)).toEqual([a.id, b.id]);
      expect(await history(1, 3)).toEqual({ rows: [], markedRead: 0 });
      expect(await history(1, 3, 10, 5)).toEqual({ rows: [], markedRead: 0 });
    });
  });

  describe('markRead', () => {
    it('marks only the other user’s messages to the reader, and counts them', async () => {
      await sendText(1, 2);
      await sendText(1, 2);
      await sendText(2, 1);
      await sendText(3, 2);
      expect((await messages.markRead(2, 1)).changed).toBe(2);
      expect((await messages.markRead(2, 1)).changed).toBe(0);
      const unread = await context.dataSource.query(
        'SELECT sender_id FROM messages WHERE read_status = 0 ORDER BY id',
      );
      expect(unread).toEqual([{ sender_id: 2 }, { sender_id: 3 }]);
    });
  });
});
