// Windows (IOCP under Wine), driven from the Linux side: the global write budget alone, with
// the per-socket pause turned off. Counterpart of test/budget-global.test.ts: node.exe runs
// the naive echo (test/fixtures/naive-echo-stats.cjs) with a 4 MiB budget; 50 Python clients
// on Linux send and never read. Past the budget every backlogged socket stops being read
// (on IOCP: no read follows its pending zero-byte read), so the total stays near the budget
// while a well-behaved client keeps being served, and every byte arrives in the end.
import { strict as assert } from 'node:assert';
import { flood, pingPong } from '../helpers/flood';
import { settle } from '../helpers/settle';
import { startNaiveEcho, type HostCase, type Wine } from './host-tools';

export const title = 'overlapped (IOCP): global write budget';

const BUDGET = 4 * 1024 * 1024;
const FLOODERS = 50;

export const cases: HostCase[] = [
  {
    name: 'stops reading backlogged sockets and keeps the total near the budget',
    async run(wine: Wine) {
      const { child, port, stats, quit } = await startNaiveEcho(wine, 'budget-global', `${BUDGET} no`);
      try {
        const load = flood(port, FLOODERS, 30, 240); // until stop(); Wine is slow to echo it all back
        const good = pingPong(port);
        await load.saturated;
        const before = good.rounds();
        await new Promise((r) => setTimeout(r, 1000));
        const st = await stats();
        const rounds = good.rounds() - before;
        load.stop(); // the readings are taken, under pressure: the flooders may read back now

        assert.equal(st.writeBudget, BUDGET);
        assert.equal(st.largeReads, false, 'past half the budget, reads take one pool buffer');
        assert.ok(st.budgetPauses > 0, 'the budget really was what held');
        assert.ok(st.socketsPausedForBudget > 0, 'backlogged sockets are paused');
        // The same slack as on Linux: per socket being read, the buffer in the batch being
        // handled and one more, plus the 1/64 of the budget shedding lets the total grow.
        const slack = 2 * (FLOODERS + 1) * (st.poolBytes / st.poolBuffers) + BUDGET / 64;
        assert.ok(st.queuedBytesPeak <= BUDGET + slack, `queued peak ${st.queuedBytesPeak} <= ${BUDGET + slack}`);
        assert.ok(st.bytesInFlightPeak <= st.queuedBytesPeak, 'bytes locked for sending are within the queued bytes');
        assert.ok(rounds > 0, 'the well-behaved client was served');
        assert.equal(good.bad(), 0);

        const report = await load.done;
        assert.equal(report.saturated, true);
        assert.equal(report.ok, FLOODERS, 'every flooder got every byte back, in order');
        await good.stop();
        // The last closes and completions may still be on their way: wait for them (10 s).
        let after = await stats();
        await settle(async () => {
          after = await stats();
          return after.queuedBytes === 0 && after.socketsPausedForBudget === 0;
        }, 10_000, 100);
        assert.equal(after.queuedBytes, 0);
        assert.equal(after.socketsPausedForBudget, 0);
        assert.equal(await quit(), 'bye');
        assert.equal(await wine.exited(child, 30_000), 0, 'node.exe exits once both servers close');
        return `queued peak ${st.queuedBytesPeak} B against a ${BUDGET} B budget, ${st.budgetPauses} pauses, ${rounds} echo rounds during the flood`;
      } finally {
        await wine.stop(child);
      }
    },
  },
];
