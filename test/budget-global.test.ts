// The global write budget alone (per-socket read pausing turned off): non-reading flooders
// against a naive echo push the total queued past the budget, and reads are shed from the
// sockets holding the most, so the total stays near the budget while a well-behaved client
// keeps being served. Every byte still arrives, in order, once the flooders read.
import { describe, expect, it } from 'vitest';
import { closeServer, listen, overlapped } from './helpers/impls';
import { flood, pingPong } from './helpers/flood';

const BUDGET = 4 * 1024 * 1024;

describe('overlapped: global write budget', () => {
  it('sheds reads from the largest queues and keeps the total near the budget', async () => {
    overlapped.configure({ writeBudget: BUDGET });
    const server = overlapped.createServer({ pauseOnWriteBackpressure: false }, (s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    const port = await listen(server as never);
    const flooders = Array.from({ length: 50 }, () => flood(port));
    const good = pingPong(port);
    const totalSent = () => flooders.reduce((a, f) => a + f.sent, 0);
    for (let last = -1, quiet = 0, t0 = Date.now(); quiet < 2 && Date.now() - t0 < 30_000; ) {
      await new Promise((r) => setTimeout(r, 500));
      const now = totalSent();
      quiet = now - last < 1024 * 1024 ? quiet + 1 : 0;
      last = now;
    }
    const before = good.rounds();
    await new Promise((r) => setTimeout(r, 1000));
    const st = overlapped.stats();

    expect(st.writeBudget).toBe(BUDGET);
    expect(st.budgetPauses).toBeGreaterThan(0); // the budget really was what held
    expect(st.socketsPausedForBudget).toBeGreaterThan(0);
    // Over by at most what reaches JS before a pause lands: one buffer per socket still
    // being read (metered receives), and the 1/64 of the budget that shedding lets the total
    // grow by between two passes.
    const slack = 51 * (st.poolBytes / st.poolBuffers) + BUDGET / 64;
    console.log(`global budget ${BUDGET}, peak ${st.queuedBytesPeak}`);
    expect(st.queuedBytesPeak).toBeLessThanOrEqual(BUDGET + slack);
    expect(good.rounds() - before).toBeGreaterThan(50);
    expect(good.bad()).toBe(0);

    const ok = await Promise.all(flooders.map((f) => f.finish()));
    expect(ok.every(Boolean)).toBe(true);
    await good.stop();
    await closeServer(server as never);
    expect(overlapped.stats().queuedBytes).toBe(0);
    expect(overlapped.stats().socketsPausedForBudget).toBe(0);
  });
});
