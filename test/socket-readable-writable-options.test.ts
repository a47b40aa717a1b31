// new Socket({ readable: false }) / ({ writable: false }) start that side ended, as node:net
// hands the options to stream.Duplex (issue #11: overlapped ignored them). A write-only
// client still connects, sends and finishes. On overlapped and node:net.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen, readAll } from './helpers/impls';

describe.each(impls)('%s: the readable and writable options', (_name, net) => {
  const { Socket } = net as unknown as { Socket: new (o?: object) => nodeNet.Socket };

  it('start the named side ended', () => {
    const r = new Socket({ readable: false });
    const w = new Socket({ writable: false });
    try {
      expect([r.readable, r.writable]).toEqual([false, true]);
      expect([w.readable, w.writable]).toEqual([true, false]);
    } finally {
      r.destroy();
      w.destroy();
    }
  });

  it('a write-only socket connects, sends and finishes', async () => {
    let received: Promise<Buffer> | undefined;
    const server = net.createServer((c) => {
      received = readAll(c as never);
      c.on('end', () => c.end());
    });
    const port = await listen(server as never);
    const s = new Socket({ readable: false });
    s.connect(port, '127.0.0.1', () => s.end('one way'));
    await once(s, 'finish');
    await new Promise((r) => s.on('close', r));
    while (!received) await new Promise((r) => setImmediate(r));
    expect(String(await received)).toBe('one way');
    await closeServer(server as never);
  });
});
