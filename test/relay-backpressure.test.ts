// A slow destination stops its source: a client floods a relay whose target does not read for
// a while. The relay's queue for the target never holds more than highWaterMark plus one read
// (64 KiB), whatever the client sends; once the target reads, every byte arrives intact.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, overlapped, pattern, sha256 } from './helpers/impls';
import { startRelay } from './helpers/relay';

const MiB = 1024 * 1024;

describe('relay(): back-pressure', () => {
  it('a target that does not read holds the client back within highWaterMark + one read', async () => {
    const size = 32 * MiB;
    const data = pattern(size, 99);
    let targetGot: Promise<Buffer> | undefined;
    let targetSide: net.Socket | undefined;
    const target = net.createServer({ allowHalfOpen: true }, (s) => {
      targetSide = s;
      s.pause(); // not reading: the kernel's buffers fill, then the relay's queue
      targetGot = new Promise((resolve) => {
        const chunks: Buffer[] = [];
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('end', () => {
          resolve(Buffer.concat(chunks));
          s.end();
        });
      });
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const highWaterMark = 128 * 1024;
    const relay = await startRelay(target, { highWaterMark });
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
      client.resume();
      client.end(data);
      // The client writes faster than anything drains: a second for the relay to fill up.
      let peakQueued = 0;
      const until = Date.now() + 1000;
      while (Date.now() < until) {
        peakQueued = Math.max(peakQueued, overlapped.stats().relayBytesQueued);
        await new Promise((r) => setTimeout(r, 10));
      }
      // The client could not send everything: the relay stopped reading it.
      expect(client.writableLength).toBeGreaterThan(0);
      if (overlapped.backend !== 'node') {
        // Native forwarding only: the node backend has no relay queue (its pipe() buffers in
        // the destination's writable, bounded by its highWaterMark the same way).
        expect(peakQueued).toBeGreaterThan(0);
        expect(overlapped.stats().relayBytesQueuedPeak).toBeLessThanOrEqual(highWaterMark + 64 * 1024);
      }
      targetSide!.resume();
      const got = await targetGot!;
      expect(got.length).toBe(size);
      expect(sha256(got)).toBe(sha256(data));
      expect(await relay.settled[0]).toEqual({ aToB: size, bToA: 0 });
    } finally {
      await relay.close();
      await closeServer(target);
    }
  });
});
