// A write's callback when the socket goes away, as node:net calls it (issue #11): a write
// made while connecting is answered at 'close' with ERR_SOCKET_CLOSED_BEFORE_CONNECTION; a
// write still in flight when destroy() cancels it is answered without an error (node's
// onWriteComplete on a destroyed stream). On overlapped and node:net.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: write callbacks at destroy', (_name, net) => {
  it('a write made while connecting gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION at close', async () => {
    const server = net.createServer((c) => c.resume());
    const port = await listen(server as never);
    const s = net.connect(port, '127.0.0.1');
    const order: string[] = [];
    s.write('x', (e) => order.push(`callback ${(e as { code?: string } | null)?.code}`));
    s.on('close', () => order.push('close'));
    s.destroy();
    await once(s, 'close');
    await new Promise((r) => setImmediate(r));
    // node:net's listener for the write was added when the write was made, before ours.
    expect(order).toEqual(['callback ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'close']);
    await closeServer(server as never);
  });

  it('a write in flight when destroy() comes is called back without an error', async () => {
    // The peer reads nothing, so 16 MiB cannot all leave before destroy().
    const accepted: Array<{ destroy(): void }> = [];
    const server = net.createServer((c) => {
      c.pause();
      accepted.push(c);
    });
    const port = await listen(server as never);
    const s = net.connect(port, '127.0.0.1');
    await once(s, 'connect');
    const result = new Promise((resolve) => s.write(Buffer.alloc(16 << 20), (e) => resolve(e ?? null)));
    expect(s.writableLength).toBeGreaterThan(0); // still in flight
    s.destroy();
    expect(await result).toBe(null);
    for (const c of accepted) c.destroy(); // it never reads, so it would not see our close
    await closeServer(server as never);
  });
});
