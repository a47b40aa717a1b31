// When building the Socket for an accepted connection throws anyway (here an onread whose
// buffer getter throws, which no option check can foresee), the native handle is closed
// rather than left without an owner (issue #11: an open fd, a peer never answered, a
// process that cannot exit), and the error goes to the server's 'error'.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, listen, overlapped } from './helpers/impls';
import { settle } from './helpers/settle';

// The native handle is freed once the backend has seen its last completion, which can come
// after the peer has seen the connection close (IOCP: the cancelled zero-byte read).
// The native backends only: on the node backend node:net builds the socket itself.
describe.skipIf(overlapped.backend === 'node')('overlapped: a Socket constructor that throws on accept', () => {
  it('closes the accepted handle and emits the error on the server', async () => {
    const boom = new Error('boom');
    const onread = {
      get buffer(): Buffer {
        throw boom;
      },
      callback: () => true,
    };
    const server = overlapped.createServer({ onread });
    let connections = 0;
    server.on('connection', () => connections++);
    const port = await listen(server as never);
    try {
      const serverError = once(server, 'error');
      const c = nodeNet.connect(port, '127.0.0.1');
      c.on('error', () => {}); // a reset is as good as an end here
      const [err] = await serverError;
      expect(err).toBe(boom);
      await once(c, 'close'); // the peer is answered: its connection is closed, not left open
      expect(connections).toBe(0);
      await settle(() => overlapped.stats().socketsOpen === 0);
      expect(overlapped.stats().socketsOpen).toBe(0);
    } finally {
      await closeServer(server as never);
    }
  });
});
