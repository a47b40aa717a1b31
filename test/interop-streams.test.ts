// The stream utilities on overlapped sockets: stream.pipeline() from a generator into a
// socket, and `for await` over the echo coming back, 4 MiB in 64 KiB pieces, every byte in
// order. Runs on overlapped and node:net.
import { describe, expect, it } from 'vitest';
import { pipeline } from 'node:stream/promises';
import { closeServer, impls, listen, pattern, sha256 } from './helpers/impls';

describe.each(impls)('%s: pipeline and for await', (_name, net) => {
  it('pipes a generator into a socket and reads the echo with for await', async () => {
    const server = net.createServer((s) => s.pipe(s));
    const port = await listen(server as never);
    const pieces = Array.from({ length: 64 }, (_, i) => pattern(64 * 1024, 100 + i));
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of socket) received.push(chunk as Buffer);
    })();
    await pipeline(async function* () {
      for (const p of pieces) yield p;
    }, socket);
    await reading;
    expect(sha256(received)).toBe(sha256(pieces));
    await closeServer(server as never);
  });
});
