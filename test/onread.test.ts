// onread, as node:net has it: received bytes are copied into the program's buffer and handed
// to its callback, no 'data' events, no allocation per read; a callback returning false
// pauses the socket until resume(), and nothing is lost meanwhile. Run on node:net too, so
// that both behave alike. Accepted sockets take it as an overlapped extension (last test).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, overlapped, pattern } from './helpers/impls';

const TOTAL = 300 * 1024;

// A server that sends `payload` to each client, then ends.
async function sender(net: (typeof impls)[number][1], payload: Buffer) {
  const server = net.createServer((s: Socket) => s.end(payload));
  return { server, port: await listen(server) };
}

describe.each(impls)('%s: onread', (_name, net) => {
  it('fills a static buffer, calls back per fill, emits no data, then ends', async () => {
    const payload = pattern(TOTAL, 11);
    const { server, port } = await sender(net, payload);
    const buffer = Buffer.alloc(4096);
    const got: Buffer[] = [];
    let calls = 0;
    const client = net.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer,
        callback: (n: number, buf: Uint8Array) => {
          calls++;
          expect(buf).toBe(buffer);
          expect(n).toBeGreaterThan(0);
          expect(n).toBeLessThanOrEqual(buffer.length);
          got.push(Buffer.from(buffer.subarray(0, n))); // the buffer is refilled next time
        },
      },
    } as never);
    let dataEvents = 0;
    client.on('data', () => dataEvents++);
    await once(client, 'end');
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    expect(calls).toBeGreaterThanOrEqual(TOTAL / buffer.length);
    expect(dataEvents).toBe(0);
    expect(client.bytesRead).toBe(TOTAL);
    client.destroy();
    await closeServer(server);
  });

  // A client whose callback pauses once, after its `pauseAt`-th fill of a 1000-byte buffer,
  // and resumes 100 ms later. `state` tells whether it is paused, and counts callbacks made
  // while it was (there must be none).
  function pausingOnce(port: number, pauseAt: number) {
    const got: Buffer[] = [];
    const state = { paused: false, callsWhilePaused: 0 };
    const client: Socket = net.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: Buffer.alloc(1000),
        callback: (n: number, buf: Uint8Array) => {
          if (state.paused) state.callsWhilePaused++;
          got.push(Buffer.from(buf.subarray(0, n)));
          if (got.length !== pauseAt) return true;
          state.paused = true;
          setTimeout(() => {
            state.paused = false;
            client.resume();
          }, 100);
          return false;
        },
      },
    } as never);
    return { client, got, state };
  }

  it('pauses when the callback returns false and loses nothing until resume()', async () => {
    const payload = pattern(TOTAL, 12);
    const { server, port } = await sender(net, payload);
    const { client, got, state } = pausingOnce(port, 3);
    await once(client, 'end');
    expect(got.length).toBeGreaterThan(3); // it was paused, and resumed
    expect(state.callsWhilePaused).toBe(0);
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    client.destroy();
    await closeServer(server);
  });

  it("holds 'end' until a paused callback has taken every byte", async () => {
    // 16 KiB and the FIN: on overlapped, one pool buffer's receive comes back full and the
    // read behind it finds the FIN, so data and end of stream arrive together.
    const payload = pattern(16 * 1024, 16);
    const { server, port } = await sender(net, payload);
    const { client, got, state } = pausingOnce(port, 1);
    let endedWhilePaused = false;
    client.on('end', () => (endedWhilePaused = state.paused));
    await once(client, 'end');
    expect(endedWhilePaused).toBe(false);
    expect(state.callsWhilePaused).toBe(0);
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    client.destroy();
    await closeServer(server);
  });

  it('takes each next buffer from a function', async () => {
    const payload = pattern(TOTAL, 13);
    const { server, port } = await sender(net, payload);
    const handed: Uint8Array[] = [];
    const seen = new Set<Uint8Array>();
    const got: Buffer[] = [];
    const client = net.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: () => {
          const b = new Uint8Array(2048);
          handed.push(b);
          return b;
        },
        callback: (n: number, buf: Uint8Array) => {
          expect(handed).toContain(buf);
          seen.add(buf);
          got.push(Buffer.from(buf.subarray(0, n)));
        },
      },
    } as never);
    await once(client, 'end');
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    expect(seen.size).toBeGreaterThan(1); // a fresh buffer after each read
    client.destroy();
    await closeServer(server);
  });

  it('ignores a malformed onread and emits data', async () => {
    const payload = pattern(10000, 14);
    const { server, port } = await sender(net, payload);
    const client = net.connect({ port, host: '127.0.0.1', onread: { buffer: 'no', callback: 5 } } as never);
    const chunks: Buffer[] = [];
    client.on('data', (d: Buffer) => chunks.push(d));
    await once(client, 'end');
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    client.destroy();
    await closeServer(server);
  });
});

describe('overlapped: onread on accepted sockets (an extension)', () => {
  it('serves an echo to several clients from one shared buffer', async () => {
    const shared = Buffer.alloc(16 * 1024);
    const server = overlapped.createServer({
      onread: {
        buffer: shared,
        callback(this: InstanceType<typeof overlapped.Socket>, n: number, buf: Uint8Array) {
          expect(buf).toBe(shared);
          // The copy lets the write outlive the next refill of the shared buffer.
          this.write(Buffer.from(buf.subarray(0, n)));
        },
      },
    }, (s) => s.on('end', () => s.end()));
    const port = await listen(server as never);
    const payloads = [0, 1, 2, 3].map((i) => pattern(TOTAL + i * 1000, 20 + i));
    const echoes = payloads.map(async (payload) => {
      const client = overlapped.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      client.on('data', (d: Buffer) => chunks.push(d));
      client.end(payload);
      await once(client, 'close');
      return Buffer.concat(chunks).equals(payload);
    });
    expect(await Promise.all(echoes)).toEqual([true, true, true, true]);
    await closeServer(server as never);
  });
});
