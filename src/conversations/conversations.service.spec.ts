import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';
import { MessageType } from '../messages/message.entity.js';
import { MessagesService } from '../messages/messages.service.js';
import { ConversationsService } from './conversations.service.js';

describe('ConversationsService', () => {
  let context: ServiceContext;
  let conversations: ConversationsService;
  let messages: MessagesService;

  beforeAll(async () => {
    context = await createServiceContext();
    conversations = context.get(ConversationsService);
    messages = context.get(MessagesService);
  });
  afterAll(() => context.close());
  beforeEach(() => context.reset(1, 2, 3));

  /** The answers decoded, as a client reads them. */
  const listing = async (userId: number) => (await conversations.list(userId)).value();
  async function history(...args: Parameters<MessagesService['history']>) {
    const { rows, markedRead } = await messages.history(...args);
    return { rows: rows.value(), markedRead };
  }

  async function send(from: number, to: number, text = 'hello', type = MessageType.Text) {
    const result = await messages.send(from, to, type, text);
    if (!result.stored) throw new Error(result.refusal);
    return result.row;
  }

  describe('list', () => {
    it('lists conversations newest first with the other party, last message and unread count', async () => {
      await send(2, 1, 'from two');
      const toThree = await send(1, 3, 'a');
      const last = await send(3, 1, 'pic.png', MessageType.Image);
      const rows = await listing(1);
      expect(rows.map((r) => r.user_id)).toEqual([3, 2]);
      expect(rows[0]).toEqual({
        id: toThree.chatConstantId,
        senderId: 1,
        receiverId: 3,
        groupId: 0,
        lastMessageId: last.id,
        deletedId: 0,
        created: expect.any(Number),
        updated: last.created,
        user_id: 3,
        lastMessage: 'pic.png',
        userName: 'User 3',
        userImage: '',
        created_at: last.created,
        messageType: 1,
        isOnline: 0,
        unreadcount: 1,
      });
      expect(rows[1]).toMatchObject({ user_id: 2, unreadcount: 1, lastMessage: 'from two' });
      expect((await listing(3))[0]).toMatchObject({ user_id: 1, unreadcount: 1 });
    });

    it('lists conversations where the user is either side of the pair, newest first, each with its own unread count', async () => {
      // User 2 is the higher id of the pair with 1 and the lower of the pair with 3.
      await send(1, 2, 'one');
      await send(1, 2, 'two');
      await send(3, 2, 'three');
      const last = await send(2, 1, 'reply');
      const rows = await listing(2);
      expect(rows.map((r) => [r.user_id, r.lastMessage, r.unreadcount, r.userName])).toEqual([
        [1, 'reply', 2, 'User 1'],
        [3, 'three', 1, 'User 3'],
      ]);
      expect(rows[0]).toMatchObject({ senderId: 1, receiverId: 2, lastMessageId: last.id });
      await history(2, 1, 1);
      expect((await listing(2)).map((r) => r.unreadcount)).toEqual([2, 1]);
      await history(2, 1);
      expect((await listing(2)).map((r) => r.unreadcount)).toEqual([0, 1]);
    });

    it('returns [] for a user without conversations', async () => {
      expect(await listing(3)).toEqual([]);
    });

    it('shows the newest message of a pair when one batch stores several of it', async () => {
      // Sent in one turn of the event loop: one batch statement, one upsert of the pair.
      const sent = await Promise.all([
        send(1, 2, 'first', MessageType.Image),
        send(2, 1, 'second', MessageType.Text),
        send(1, 2, 'third', MessageType.Image),
        send(2, 1, 'fourth', MessageType.Image),
      ]);
      const newest = sent.reduce((a, b) => (b.id > a.id ? b : a));
      const [row] = await listing(1);
      expect(row).toMatchObject({
        lastMessageId: newest.id,
        lastMessage: newest.message,
        messageType: newest.messageType,
        created_at: newest.created,
        updated: newest.created,
      });
      // A later batch moves it on.
      const later = await send(1, 2, 'later');
      expect((await listing(2))[0]).toMatchObject({
        lastMessageId: later.id,
        lastMessage: 'later',
        messageType: 0,
      });
    });

    it('shows a conversation whose last message is missing with "" , type 0 and created_at = updated', async () => {
      // Rows from before the send kept the last message: none at all, or one that no longer exists.
      await context.dataSource.query(
        `INSERT INTO chat_constants (sender_id, receiver_id, user_low_id, user_high_id, last_message_id, created, updated)
         VALUES (1, 2, 1, 2, NULL, 100, 200), (3, 1, 1, 3, 987654, 300, 400)`,
      );
      const rows = await listing(1);
      expect(
        rows.map((r) => [r.user_id, r.lastMessageId, r.lastMessage, r.messageType, r.created_at]),
      ).toEqual([
        [3, 987654, '', 0, 400],
        [2, 0, '', 0, 200],
      ]);
    });
  });

  describe('clear', () => {
    it('hides the conversation and its messages from the requester only', async () => {
      await send(1, 2, 'one');
      await send(2, 1, 'two');
      await conversations.clear(1, 2);
      expect(await listing(1)).toEqual([]);
      expect((await history(1, 2)).rows).toEqual([]);
      const [otherView] = await listing(2);
      expect(otherView).toMatchObject({ user_id: 1, deletedId: 1, unreadcount: 1 });
      expect((await history(2, 1)).rows.map((r) => r.deletedId)).toEqual([1, 1]);
    });

    it('shows the conversation again on a new message, with only what came after', async () => {
      await send(1, 2, 'old');
      await conversations.clear(1, 2);
      const fresh = await send(2, 1, 'new');
      const [row] = await listing(1);
      expect(row).toMatchObject({
        lastMessageId: fresh.id,
        lastMessage: 'new',
        unreadcount: 1,
        deletedId: 0,
      });
      expect((await history(1, 2)).rows.map((r) => r.message)).toEqual(['new']);
    });

    it('deletes for good what both users cleared, and keeps the rest', async () => {
      await send(1, 2, 'both clear this');
      await conversations.clear(1, 2);
      await send(2, 1, 'only two clears this');
      await conversations.clear(2, 1);
      const stored = await context.dataSource.query(
        'SELECT message, deleted_id FROM messages ORDER BY id',
      );
      expect(stored).toEqual([{ message: 'only two clears this', deleted_id: 2 }]);
      expect(await listing(2)).toEqual([]);
      expect((await listing(1)).map((r) => r.lastMessage)).toEqual(['only two clears this']);
    });

    it('keeps no copy of a last message deleted for good, and shows the next one', async () => {
      await send(1, 2, 'said once');
      await conversations.clear(1, 2);
      await conversations.clear(2, 1);
      expect(
        await context.dataSource.query(
          'SELECT last_message, last_message_type, last_message_created FROM chat_constants',
        ),
      ).toEqual([{ last_message: null, last_message_type: null, last_message_created: null }]);
      expect(await listing(1)).toEqual([]);
      expect(await listing(2)).toEqual([]);
      const next = await send(2, 1, 'said again', MessageType.Image);
      for (const user of [1, 2]) {
        expect((await listing(user))[0]).toMatchObject({
          lastMessageId: next.id,
          lastMessage: 'said again',
          messageType: 1,
          created_at: next.created,
        });
      }
    });

    it('does not count cleared messages as unread', async () => {
      await send(2, 1, 'unread');
      await conversations.clear(1, 2);
      await send(3, 1, 'other');
      expect((await listing(1)).map((r) => r.unreadcount)).toEqual([1]);
    });

    it('is a no-op for a conversation that does not exist or is already cleared', async () => {
      await conversations.clear(1, 3);
      await send(1, 2);
      await conversations.clear(1, 2);
      await conversations.clear(1, 2);
      const stored = await context.dataSource.query('SELECT deleted_id FROM messages');
      expect(stored).toEqual([{ deleted_id: 1 }]);
      expect(await context.dataSource.query('SELECT id FROM chat_constants')).toHaveLength(1);
    });
  });

  describe('under concurrency', () => {
    it('deletes for good when both users clear at the same moment', async () => {
      for (let i = 0; i < 3; i++) await messages.send(1, 2, MessageType.Text, `m${i}`);
      await Promise.all([conversations.clear(1, 2), conversations.clear(2, 1)]);
      expect(await context.dataSource.query('SELECT id FROM messages')).toEqual([]);
      expect((await history(1, 2)).rows).toEqual([]);
      expect((await history(2, 1)).rows).toEqual([]);
    });

    it('never hides a conversation whose new message is still visible', async () => {
      await messages.send(1, 2, MessageType.Text, 'before');
      for (let round = 0; round < 5; round++) {
        await Promise.all([
          messages.send(2, 1, MessageType.Text, `race ${round}`),
          conversations.clear(1, 2),
        ]);
        const visible = (await history(1, 2)).rows.length;
        const listed = (await listing(1)).length;
        expect(listed).toBe(visible > 0 ? 1 : 0);
      }
    });
  });
});
