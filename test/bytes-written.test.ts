// socket.bytesWritten counts each byte once, whether it is held until connected, in flight,
// or queued behind a write in flight, as node:net counts it (issue #11: a write made while
// connecting was counted twice, `s.write('hello'); s.bytesWritten` gave 10).
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { closeServer, impls, listen, readAll } from './helpers/impls';

describe.each(impls)('%s: bytesWritten', (_name, net) => {
  it('counts held, in-flight and queued bytes once each', async () => {
    const server = net.createServer();
    const received = new Promise<Buffer>((resolve) => server.once('connection', (c) => resolve(readAll(c as never))));
    const port = await listen(server as never);
    const socket = net.connect(port, '127.0.0.1');
    socket.write('hello');
    const whileConnecting = socket.bytesWritten;
    await once(socket, 'connect');
    const atConnect = socket.bytesWritten;
    // Three writes in one turn: the first goes out (or is in flight), the others queue
    // behind it; each is counted once.
    socket.write(Buffer.alloc(1000, 1));
    socket.write('é'); // 2 bytes in UTF-8
    socket.write(Buffer.alloc(64 * 1024, 2));
    const queuedNow = socket.bytesWritten;
    socket.end();
    await once(socket, 'finish');
    const atFinish = socket.bytesWritten;
    const got = await received;
    await once(socket, 'close');
    await closeServer(server as never);
    expect({ whileConnecting, atConnect, queuedNow, atFinish, received: got.length }).toEqual({
      whileConnecting: 5,
      atConnect: 5,
      queuedNow: 5 + 1000 + 2 + 65536,
      atFinish: 5 + 1000 + 2 + 65536,
      received: 5 + 1000 + 2 + 65536,
    });
  });
});
