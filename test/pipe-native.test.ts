// socket.pipe(socket) between two overlapped sockets: as stream pipe() (the 'pipe' and
// 'unpipe' events, end and { end: false }, unpipe(), a 'data' listener added later), with every
// byte in order. On a native backend the bytes move inside the addon.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, overlapped, pattern, readAll, sha256 } from './helpers/impls';

const MiB = 1024 * 1024;

// A target that collects what it receives; and a proxy that hands each connection and its
// upstream socket to `wire`.
async function setup(wire: (client: net.Socket, upstream: net.Socket) => void) {
  const received: Array<Promise<Buffer>> = [];
  const opened: net.Socket[] = [];
  const target = net.createServer({ allowHalfOpen: true }, (s) => {
    received.push(readAll(s));
    s.on('end', () => s.end());
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  const proxy = overlapped.createServer({ allowHalfOpen: true }, (c) => {
    const up = overlapped.connect({ port: (target.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    opened.push(c as unknown as net.Socket, up as unknown as net.Socket);
    wire(c as unknown as net.Socket, up as unknown as net.Socket);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const client = net.connect({ port: (proxy.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  client.resume();
  const targetGot = async (): Promise<Buffer> => {
    while (received.length === 0) await new Promise((r) => setTimeout(r, 5));
    return received[0];
  };
  const close = async (): Promise<void> => {
    // The proxy's sockets are half-open: what a test left open is closed here.
    for (const s of [client, ...opened]) if (!s.closed) s.destroy();
    await closeServer(proxy as unknown as net.Server);
    await closeServer(target);
  };
  return { client, targetGot, close };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('pipe() between overlapped sockets', () => {
  it('forwards everything in order, emits pipe, and ends the destination', async () => {
    const data = pattern(4 * MiB, 5);
    let piped: unknown;
    const before = overlapped.stats().relayBytesForwarded;
    const t = await setup((c, up) => {
      up.on('pipe', (src) => (piped = src));
      c.pipe(up);
      c.on('end', () => setTimeout(() => c.end(), 0));
      (t as { c?: net.Socket }).c = c;
    });
    try {
      t.client.end(data);
      const got = await t.targetGot();
      expect(sha256(got)).toBe(sha256(data));
      expect(piped).toBe((t as { c?: net.Socket }).c);
      if (overlapped.backend !== 'node') {
        // Native forwarding only (the node backend's pipe() is node's).
        expect(overlapped.stats().relayBytesForwarded - before).toBeGreaterThan(data.length - 4 * 65536);
      }
    } finally {
      await t.close();
    }
  });

  it('unpipe() mid-stream: the rest reaches JS, nothing is lost or reordered', async () => {
    const first = pattern(MiB, 1);
    const second = pattern(MiB, 2);
    let proxySide: net.Socket | undefined;
    let upstream: net.Socket | undefined;
    let unpiped = 0;
    const t = await setup((c, up) => {
      proxySide = c;
      upstream = up;
      up.on('unpipe', () => unpiped++);
      c.pipe(up);
    });
    try {
      t.client.write(first);
      await wait(200);
      proxySide!.unpipe(upstream);
      expect(unpiped).toBe(1);
      let inJs = 0;
      proxySide!.on('data', (d: Buffer) => {
        inJs += d.length;
        upstream!.write(d);
      });
      proxySide!.on('end', () => upstream!.end());
      proxySide!.resume(); // as on node: after unpipe() paused it, a 'data' listener alone does not
      t.client.end(second);
      const got = await t.targetGot();
      expect(got.length).toBe(2 * MiB);
      expect(sha256(got)).toBe(sha256([first, second]));
      expect(inJs).toBeGreaterThanOrEqual(second.length);
    } finally {
      await t.close();
    }
  });

  it("a 'data' listener added after pipe() sees the bytes, and the destination still gets them all", async () => {
    const first = pattern(MiB, 3);
    const second = pattern(MiB, 4);
    let proxySide: net.Socket | undefined;
    const t = await setup((c, up) => {
      proxySide = c;
      c.pipe(up);
    });
    try {
      t.client.write(first);
      await wait(200);
      let seen = 0;
      proxySide!.on('data', (d: Buffer) => (seen += d.length));
      t.client.end(second);
      const got = await t.targetGot();
      expect(sha256(got)).toBe(sha256([first, second]));
      expect(seen).toBeGreaterThanOrEqual(second.length);
    } finally {
      await t.close();
    }
  });

  it('{ end: false } leaves the destination open after the source ends', async () => {
    const data = pattern(256 * 1024, 6);
    const t = await setup((c, up) => {
      c.pipe(up, { end: false });
      c.on('end', () => {
        expect(up.writableEnded).toBe(false);
        up.end('trailer');
      });
    });
    try {
      t.client.end(data);
      const got = await t.targetGot();
      expect(sha256(got)).toBe(sha256([data, Buffer.from('trailer')]));
    } finally {
      await t.close();
    }
  });
});
