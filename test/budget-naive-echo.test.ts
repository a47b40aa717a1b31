// The issue's scenario: an echo server that ignores write()'s return value, facing clients
// that send and never read (a Python process of 200 connections). On node:net its memory grows without bound (see bench/); on
// overlapped each socket's reads pause while its replies are backed up, so queued bytes stay
// within a small bound per socket, a well-behaved client on the same server keeps getting
// correct echoes, and every byte arrives, in order, once the flooders finally read.
// Beside them, 2000 idle connections hold no receive buffer and each gets a correct echo at the
// end. 2200 clients + 2200 accepted sockets in this process stay far under the 20000
// open-file limit.
import { describe, expect, it } from 'vitest';
import { closeServer, listen, overlapped } from './helpers/impls';
import { echoEachOnce, flood, openIdle, pingPong } from './helpers/flood';

const FLOODERS = 200;
const IDLE = 2000;

describe('overlapped: naive echo under non-reading clients', () => {
  it('keeps queues bounded per socket, serves a well-behaved client, loses nothing', async () => {
    const server = overlapped.createServer((s) => {
      s.on('data', (d) => s.write(d)); // the naive echo: write()'s return value ignored
      s.on('end', () => s.end());
    });
    const port = await listen(server as never);
    const before = overlapped.stats();
    const idle = await openIdle(port, IDLE);
    const load = flood(port, FLOODERS, 30); // flooding until stop(), below
    const good = pingPong(port);
    // First the kernel's socket buffers soak up what they can (on loopback, megabytes per
    // socket, as for node:net); then the flooders are stuck, still sending into full pipes.
    await load.saturated;
    const roundsBefore = good.rounds();
    await new Promise((r) => setTimeout(r, 1000));
    const during = overlapped.stats();
    const roundsDuring = good.rounds() - roundsBefore;
    load.stop(); // the readings are taken, under pressure: the flooders may read back now

    // Each socket stops being read once its replies reach the high water mark (16 KiB); in
    // the default metered receive mode at most one more read reaches JS after that. A read is
    // at most maxReadBytes: 64 KiB on io_uring (a pool buffer and what follows it, so that
    // bulk data is not cut into pool-buffer pieces: see docs/api.md, "Receive modes"), one
    // pool buffer on IOCP. The global bound below stays far under the budget either way.
    // (The node backend has no pool; node:net's reads are up to 64 KiB.)
    if (overlapped.backend !== 'node') expect(during.maxReadBytes).toBeGreaterThanOrEqual(during.poolBytes / during.poolBuffers);
    expect(during.maxReadBytes).toBeLessThanOrEqual(64 * 1024);
    const perSocketBound = 16 * 1024 + during.maxReadBytes;
    expect(during.largestSocketQueuedBytesPeak).toBeLessThanOrEqual(perSocketBound);
    expect(during.queuedBytesPeak).toBeLessThanOrEqual(FLOODERS * perSocketBound);
    expect(during.queuedBytesPeak).toBeLessThan(during.writeBudget);
    expect(during.socketsDestroyedForLimit).toBe(before.socketsDestroyedForLimit);
    expect(during.socketsOpen).toBeGreaterThanOrEqual(IDLE + FLOODERS + 1);
    expect(during.buffersInUsePeak).toBeLessThanOrEqual(during.poolBuffers);
    expect(during.poolBytes).toBe(before.poolBytes); // the pool never grows
    // The flood really backed up: replies queued past the high water mark somewhere.
    expect(during.queuedBytesPeak).toBeGreaterThan(16 * 1024);
    // The well-behaved client was served all along, correctly.
    expect(roundsDuring).toBeGreaterThan(50);
    expect(good.bad()).toBe(0);

    // Now the flooders read: every byte each one sent comes back, in order.
    const report = await load.done;
    // Every idle connection is still alive and served correctly.
    expect(await echoEachOnce(idle)).toBe(0);
    expect(report.saturated).toBe(true);
    expect(report.ok).toBe(FLOODERS);
    expect(report.sent).toBeGreaterThan(0);
    await good.stop();
    expect(good.bad()).toBe(0);
    await closeServer(server as never);
    const after = overlapped.stats();
    expect(after.queuedBytes).toBe(0);
    expect(after.buffersInUse).toBe(0);
    expect(after.completionsDropped).toBe(0); // 2200 sockets' completions, none lost
  });
});
