// A write the kernel takes whole, at once, is done at once, as on node:net (libuv's
// uv_try_write): nothing stays queued in userland, bytesWritten counts the bytes once, and
// the callback still comes asynchronously, on the next tick, never inside write().
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: a write taken at once', (_name, net) => {
  it('leaves nothing queued and calls back on the next tick', async () => {
    let peer!: Socket;
    const server = net.createServer((s: Socket) => (peer = s));
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const received = new Promise<Buffer>((resolve) => {
      const check = () => (peer ? peer.once('data', resolve) : setImmediate(check));
      check();
    });

    let called = false;
    const ok = client.write('hello', () => (called = true));
    expect(ok).toBe(true);
    expect(called).toBe(false); // never synchronously, inside write()
    expect(client.writableLength).toBe(0); // the kernel has the bytes: nothing queued
    expect(client.bytesWritten).toBe(5); // counted once
    await new Promise((r) => process.nextTick(r));
    expect(called).toBe(true);
    expect((await received).toString()).toBe('hello');

    client.destroy();
    peer.destroy();
    await closeServer(server);
  });
});
