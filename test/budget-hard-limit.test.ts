// A program that keeps writing to a peer that never reads meets the per-socket hard limit:
// the socket is destroyed with ERR_SOCKET_BUFFER_LIMIT (naming the limit and the peer),
// counted in stats(), and the rest of the server carries on. A single large write from a
// writer that is not ignoring back-pressure is not what the limit is for, and goes through.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, listen, overlapped } from './helpers/impls';

describe('overlapped: per-socket hard write limit', () => {
  it('destroys the socket with ERR_SOCKET_BUFFER_LIMIT and counts it', async () => {
    const LIMIT = 1024 * 1024;
    const errors: Array<Error & { code?: string; limit?: number; queued?: number }> = [];
    let closedWithError: boolean | undefined;
    const server = overlapped.createServer({ writeLimit: LIMIT }, (s) => {
      s.on('error', (e) => errors.push(e));
      s.on('close', (hadError: boolean) => (closedWithError = hadError));
      const block = Buffer.alloc(64 * 1024, 1);
      // Writes on a timer, ignoring write()'s return value: nothing the peer does stops it.
      const t = setInterval(() => {
        if (s.destroyed) return clearInterval(t);
        s.write(block);
      }, 1);
    });
    const port = await listen(server as never);
    const before = overlapped.stats().socketsDestroyedForLimit;
    const peer = nodeNet.connect(port, '127.0.0.1');
    peer.pause(); // never reads
    await once(peer, 'connect');
    while (closedWithError === undefined) await new Promise((r) => setTimeout(r, 20));

    expect(closedWithError).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe('ERR_SOCKET_BUFFER_LIMIT');
    expect(errors[0].limit).toBe(LIMIT);
    expect(errors[0].queued).toBeGreaterThan(LIMIT);
    expect(errors[0].message).toContain(`127.0.0.1:${peer.localPort}`);
    expect(overlapped.stats().socketsDestroyedForLimit).toBe(before + 1);
    // Its queue no longer counts against the budget.
    expect(overlapped.stats().queuedBytes).toBe(0);

    // The server still serves others.
    const other = overlapped.connect(port, '127.0.0.1');
    await once(other, 'connect');
    other.destroy();
    peer.destroy();
    await closeServer(server as never);
  });

  it('takes one write larger than the limit whole when the writer is not ignoring back-pressure', async () => {
    const LIMIT = 256 * 1024;
    const payload = Buffer.alloc(4 * LIMIT, 3);
    let serverError: Error | undefined;
    const server = overlapped.createServer({ writeLimit: LIMIT }, (s) => {
      s.on('error', (e) => (serverError = e));
      // Like socket.end(fs.readFileSync(file)) on node:net: one chunk, bigger than the limit.
      s.end(payload);
    });
    const port = await listen(server as never);
    const peer = nodeNet.connect(port, '127.0.0.1');
    let received = 0;
    peer.on('data', (d: Buffer) => (received += d.length));
    await once(peer, 'end');
    expect(serverError).toBeUndefined();
    expect(received).toBe(payload.length);
    peer.destroy();
    await closeServer(server as never);
  });

  it('rejects a bad writeLimit with node-style range errors', () => {
    expect(() => overlapped.createServer({ writeLimit: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => new overlapped.Socket({ writeLimit: 'big' as unknown as number })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
