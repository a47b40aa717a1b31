// setTimeout() on a destroyed socket arms nothing: its callback never runs and 'timeout' never
// comes, as on node:net (issue #11: overlapped fired it).
import { describe, expect, it } from 'vitest';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: setTimeout() after destroy()', (_name, net) => {
  it('does not fire', async () => {
    const server = net.createServer((s) => s.on('error', () => {}));
    const port = await listen(server as never);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.destroy();
    let fired = 0;
    socket.on('timeout', () => fired++);
    expect(socket.setTimeout(1, () => fired++)).toBe(socket);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Well past the 1 ms: a timer armed by it would have run by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired).toBe(0);
    await closeServer(server as never);
  });
});
