// Child process of the idle-connection test: holds a share of the idle
// sockets, since one process's open-file limit cannot hold them all.
// (and, for the flood part's socket cap, many sockets of one user).
// IPC: {cmd:'connect', url, firstUserId, count, concurrency, sameUser?} -> progress and
// {type:'connected', bound, failed, errors}; {cmd:'close'} -> {type:'closed',
// stillConnected}, then exit.
import { connectAs, inParallel } from './clients.mjs';

const sockets = [];

process.on('message', async (command) => {
  if (command.cmd === 'connect') {
    // sameUser: every socket binds firstUserId (the server closes the oldest past its cap).
    const { url, firstUserId, count, concurrency, sameUser = false } = command;
    const errors = new Map(); // message -> how many
    let failed = 0;
    await inParallel(count, concurrency, async (i) => {
      try {
        sockets.push(await connectAs(url, sameUser ? firstUserId : firstUserId + i));
      } catch (error) {
        failed++;
        errors.set(error.message, (errors.get(error.message) ?? 0) + 1);
      }
      if ((sockets.length + failed) % 1000 === 0) {
        process.send({ type: 'progress', bound: sockets.length, failed });
      }
    });
    process.send({
      type: 'connected',
      bound: sockets.length,
      failed,
      errors: [...errors].map(([message, times]) => `${message} (x${times})`),
    });
  } else if (command.cmd === 'close') {
    const stillConnected = sockets.filter((socket) => socket.connected).length;
    for (const socket of sockets) socket.close();
    process.send({ type: 'closed', stillConnected }, () => process.exit(0));
  }
});
