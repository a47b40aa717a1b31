// The global write budget alone (per-socket read pausing turned off): non-reading flooders
// against a naive echo push the total queued past the budget, and every backlogged socket
// stops being read, so the total stays near the budget while a well-behaved client (whose
// replies are taken at once) keeps being served. Every byte still arrives, in order, once the flooders read.
import { describe, expect, it } from 'vitest';
import { closeServer, listen, overlapped } from './helpers/impls';
import { flood, pingPong } from './helpers/flood';

const BUDGET = 4 * 1024 * 1024;

describe('overlapped: global write budget', () => {
  it('stops reading backlogged sockets and keeps the total near the budget', async () => {
    // Restored at the end: the shared-process runners (Wine, arm64) run other files after it.
    const saved = overlapped.configure().writeBudget;
    overlapped.configure({ writeBudget: BUDGET });
    const server = overlapped.createServer({ pauseOnWriteBackpressure: false }, (s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    const port = await listen(server as never);
    const load = flood(port, 50, 30); // flooding until stop(), below
    const good = pingPong(port);
    await load.saturated;
    const before = good.rounds();
    await new Promise((r) => setTimeout(r, 1000));
    const st = overlapped.stats();
    const roundsDuring = good.rounds() - before;
    load.stop(); // the readings are taken, under pressure: the flooders may read back now

    expect(st.writeBudget).toBe(BUDGET);
    expect(st.budgetPauses).toBeGreaterThan(0); // the budget really was what held
    expect(st.socketsPausedForBudget).toBeGreaterThan(0);
    // Past half the budget: one pool buffer per read. (The node backend has no read size to
    // shrink: node:net reads up to 64 KiB each time, and largeReads stays true there.)
    if (overlapped.backend !== 'node') expect(st.largeReads).toBe(false);
    // Over by at most what reaches JS before a pause lands: per socket being read, the buffer
    // in the batch being handled and one whose receive completes before the cancel does
    // (metered receives), plus the 1/64 of the budget shedding lets the total grow between
    // two passes. On the node backend a read is node:net's, up to maxReadBytes (64 KiB).
    const read = overlapped.backend === 'node' ? st.maxReadBytes : st.poolBytes / st.poolBuffers;
    const slack = 2 * 51 * read + BUDGET / 64;
    expect(st.queuedBytesPeak).toBeLessThanOrEqual(BUDGET + slack);
    expect(roundsDuring).toBeGreaterThan(50);
    expect(good.bad()).toBe(0);

    const report = await load.done;
    expect(report.saturated).toBe(true);
    expect(report.ok).toBe(50);
    await good.stop();
    await closeServer(server as never);
    expect(overlapped.stats().queuedBytes).toBe(0);
    expect(overlapped.stats().socketsPausedForBudget).toBe(0);
    expect(overlapped.stats().largeReads).toBe(true); // the pressure is over
    overlapped.configure({ writeBudget: saved });
  });
});
