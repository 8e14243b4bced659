import { closeAllSockets, connectAs, waitFor } from './support/sockets.js';
import { startTestServer, TestServer } from './support/test-server.js';

describe('smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await closeAllSockets();
    await server.close();
  });

  it('binds with v4 and v2 and delivers a message', async () => {
    await server.createUser(1, 'Alice');
    await server.createUser(2, 'Bob');
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
