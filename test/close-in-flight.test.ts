// Closing a socket with operations still in flight: a send blocked on a peer that does not
// read, the idle read beside it, a connect not yet answered. destroy() must still end in
// 'close', and the native side must give back every handle and every locked byte (on Windows
// each of those operations owns an OVERLAPPED that must outlive its aborted completion; under
// ASan a completion touching freed memory fails the run).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, overlapped } from './helpers/impls';
import { settle } from './helpers/settle';

describe.each(impls)('%s: close with operations in flight', (_name, net) => {
  it('destroy() during a send blocked on a non-reading peer still emits close', async () => {
    // The peer is node:net, paused: it never reads, so the kernel buffers fill and the send
    // stays pending.
    let peerSide: Socket | undefined;
    const server = nodeNet.createServer((s) => {
      peerSide = s;
      s.pause();
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const block = Buffer.alloc(256 * 1024, 5);
    // Write until the kernel's buffers are full: a queue that does not drain within 100 ms.
    let written = 0;
    for (;;) {
      client.write(block);
      written += block.length;
      await new Promise((r) => setTimeout(r, client.writableLength > 0 ? 100 : 0));
      if (client.writableLength > 0 || written > 256 * 1024 * 1024) break;
    }
    expect(client.writableLength).toBeGreaterThan(0);
    const closed = once(client, 'close');
    client.destroy();
    const [hadError] = await closed;
    expect(hadError).toBe(false);
    peerSide?.destroy();
    await closeServer(server);
  });

  it('destroy() right after a write was handed to the kernel, many times, always emits close', async () => {
    // The race the blocked case above does not hit: the send was posted a moment ago. Our
    // side is the accepted socket here, the peer a paused node:net client.
    const block = Buffer.alloc(64 * 1024, 6);
    let round = 0;
    const closes: Array<Promise<unknown>> = [];
    const server = net.createServer((s: Socket) => {
      closes.push(once(s, 'close'));
      const delay = 5 + (round++ % 8) * 5;
      // Writes on a timer, ignoring back-pressure, and is destroyed mid-stream.
      const t = setInterval(() => s.write(block), 1);
      setTimeout(() => {
        clearInterval(t);
        s.write(block);
        s.destroy();
      }, delay);
    });
    const port = await listen(server);
    for (let i = 0; i < 40; i++) {
      const peer = nodeNet.connect(port, '127.0.0.1');
      peer.pause();
      peer.on('error', () => {});
      await once(peer, 'connect');
      while (closes.length <= i) await new Promise((r) => setTimeout(r, 1));
      await closes[i];
      peer.destroy();
    }
    await closeServer(server);
  });

  it('connects destroyed before they complete each emit close, and leave nothing behind', async () => {
    const server = net.createServer((s: Socket) => s.on('error', () => {}));
    const port = await listen(server);
    const before = net === (overlapped as unknown) ? overlapped.stats() : undefined;
    const N = 200;
    const closes: Array<Promise<unknown>> = [];
    for (let i = 0; i < N; i++) {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      closes.push(once(c, 'close'));
      // Half at once (connect in flight), half right after connecting (read in flight).
      if (i % 2 === 0) c.destroy();
      else c.once('connect', () => c.destroy());
    }
    await Promise.all(closes);
    await closeServer(server);
    if (before) {
      await settle(() => overlapped.stats().socketsOpen <= before.socketsOpen);
      const after = overlapped.stats();
      expect(after.socketsOpen).toBeLessThanOrEqual(before.socketsOpen);
      expect(after.bytesInFlight).toBe(0);
      expect(after.buffersInUse).toBe(0);
    }
  });
});
