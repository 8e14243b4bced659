// The transport ceiling: a Socket.IO relay with the product's events and
// payload shapes but no database, validation or per-socket ordering, so the
// same load generator can drive it. `PORT=... node bench/relay-server.mjs`.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer((request, response) => {
  const ok = request.url === '/health';
  response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  response.end(ok ? '{"status":"ok","database":"none"}' : '{}');
});
// The product's transport settings (src/gateway/legacy-io.adapter.ts).
const io = new Server(http, {
  allowEIO3: true,
  transports: ['polling', 'websocket'],
  maxHttpBufferSize: 5 * 1024 * 1024,
  cors: { origin: true, credentials: true },
});

const room = (userId) => `user:${userId}`;
// Clients may send a JSON string instead of an object (contract, "Transport").
const body = (payload) => (typeof payload === 'string' ? JSON.parse(payload) : payload);
// Same lengths as the seeded profiles (bench/database.mjs), so frames weigh the same.
const profileName = (userId) => `Bench user ${userId}`;
const profileImage = (userId) => `https://cdn.example.invalid/avatars/${userId}.png`;

let lastMessageId = 0;

io.on('connection', (socket) => {
  socket.on('connect_user', (payload) => {
    const userId = Number(body(payload).userId);
    socket.join(room(userId));
    socket.emit('connect_listener', { success_message: 'connected successfully', userId });
  });

  socket.on('send_message', (payload) => {
    const { senderId, receiverId, message, messageType = 0 } = body(payload);
    const now = Math.floor(Date.now() / 1000);
    const sender = Number(senderId);
    const receiver = Number(receiverId);
    io.to([room(sender), room(receiver)]).emit('new_message', {
      id: ++lastMessageId,
      senderId: sender,
      receiverId: receiver,
      chatConstantId: Math.min(sender, receiver),
      groupId: 0,
      message,
      readStatus: 0,
      messageType: Number(messageType),
      deletedId: 0,
      created: now,
      updated: now,
      senderName: profileName(sender),
      senderImage: profileImage(sender),
      recieverImage: profileImage(receiver),
      recieverName: profileName(receiver),
    });
  });
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => io.close(() => process.exit(0)));
}

http.listen(Number(process.env.PORT ?? 8888), '127.0.0.1');
