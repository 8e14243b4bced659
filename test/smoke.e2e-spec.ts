import { connectAs, waitFor } from './support/sockets.js';
import { useTestServer } from './support/suite.js';

describe('smoke', () => {
  // Its own clean tables: spec files share one database in CI, and an earlier
  // one may leave, say, a block between users 1 and 2.
  const server = useTestServer({
    users: [
      [1, 'Alice'],
      [2, 'Bob'],
    ],
  });

  it('binds with v4 and v2 and delivers a message', async () => {
    const alice = await connectAs(server.url, 1);
    const bob = await connectAs(server.url, 2, { version: 'v2', transport: 'polling' });
    const got = waitFor(bob, 'new_message');
    alice.emit(
      'send_message',
      JSON.stringify({ senderId: '1', receiverId: 2, messageType: '0', message: 'hi' }),
    );
    const row = await got;
    expect(row).toMatchObject({
      senderId: 1,
      receiverId: 2,
      message: 'hi',
      senderName: 'Alice',
      recieverName: 'Bob',
    });
  });
});
