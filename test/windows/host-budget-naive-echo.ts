// Windows (IOCP under Wine), driven from the Linux side: the bounded-memory promise under the
// issue's load, and what IOCP locks for I/O. Counterpart of test/budget-naive-echo.test.ts:
// node.exe runs the naive echo (test/fixtures/naive-echo-stats.cjs); the load is on Linux: a
// Python process of 200 clients that send and never read, one well-behaved echo client, and
// 1000 idle connections. 1200 clients here and 1200 sockets in Wine stay far under the
// 20000 open-file limit.
//
// What it shows:
//  * idle sockets lock nothing: with 1000 connections waiting on their zero-byte reads, no
//    byte is in flight and no pool buffer is in use;
//  * under the flood, queues stay within the per-socket bound, the bytes locked by WSASend
//    (bytesInFlightPeak) never exceed the bytes queued nor the write budget, and receives
//    hold at most one pool buffer at a time (they copy out of it at once);
//  * the well-behaved client is served all along, and no byte is lost.
import { strict as assert } from 'node:assert';
import * as nodeNet from 'node:net';
import { echoEachOnce, flood, openIdle, pingPong } from '../helpers/flood';
import { settle } from '../helpers/settle';
import { startNaiveEcho, type HostCase, type Wine } from './host-tools';

export const title = 'overlapped (IOCP): naive echo under non-reading clients';

const FLOODERS = 200;
const IDLE = 1000;

export const cases: HostCase[] = [
  {
    name: 'idle sockets lock nothing; queues and locked bytes stay within the budgets; nothing is lost',
    async run(wine: Wine) {
      const { child, port, stats, quit } = await startNaiveEcho(wine, 'naive-echo');
      const idle: nodeNet.Socket[] = [];
      try {
        idle.push(...(await openIdle(port, IDLE)));
        // The peers' connects completed in the kernel; node.exe accepts them in turn (32
        // AcceptEx posted at a time, slow under Wine): wait until it has, up to 20 s, rather
        // than a fixed 500 ms (994 of 1000 had been accepted then in one CI run).
        let quiet = await stats();
        await settle(async () => {
          quiet = await stats();
          return quiet.socketsOpen >= IDLE;
        }, 20_000, 100);
        assert.ok(quiet.socketsOpen >= IDLE, `all idle connections accepted (${quiet.socketsOpen})`);
        assert.equal(quiet.bytesInFlight, 0, 'idle sockets lock no bytes for sending');
        assert.equal(quiet.buffersInUse, 0, 'idle sockets hold no receive buffer');

        // Wine moves the echoed bytes far slower than Linux: the peers get 240 s, not 60.
        const load = flood(port, FLOODERS, 30, 240); // until stop(), below
        const good = pingPong(port);
        await load.saturated;
        const roundsBefore = good.rounds();
        await new Promise((r) => setTimeout(r, 1000));
        const during = await stats();
        const roundsDuring = good.rounds() - roundsBefore;
        load.stop(); // the readings are taken, under pressure: the flooders may read back now

        // The high water mark plus one read (up to 64 KiB, as on io_uring: docs/api.md).
        assert.equal(during.maxReadBytes, 64 * 1024);
        const perSocketBound = 16 * 1024 + during.maxReadBytes;
        assert.ok(during.largestSocketQueuedBytesPeak <= perSocketBound, `largest queue ${during.largestSocketQueuedBytesPeak} <= ${perSocketBound}`);
        assert.ok(during.queuedBytesPeak <= FLOODERS * perSocketBound, `queued peak ${during.queuedBytesPeak}`);
        assert.ok(during.queuedBytesPeak < during.writeBudget, 'queued peak under the write budget');
        assert.ok(during.queuedBytesPeak > 16 * 1024, 'the flood really backed up');
        assert.ok(during.bytesInFlightPeak > 0, 'sends were in flight');
        assert.ok(during.bytesInFlightPeak <= during.queuedBytesPeak, `locked for sending ${during.bytesInFlightPeak} <= queued ${during.queuedBytesPeak}`);
        assert.ok(during.bytesInFlightPeak <= during.writeBudget, 'locked for sending under the write budget');
        // Reads copy from the socket straight into the batch handed to JS: no pool buffer.
        assert.equal(during.buffersInUsePeak, 0, `receives hold no pool buffer (${during.buffersInUsePeak})`);
        assert.equal(during.socketsDestroyedForLimit, 0);
        assert.ok(roundsDuring > 0, 'the well-behaved client was served during the flood');
        assert.equal(good.bad(), 0);

        const report = await load.done;
        assert.equal(report.saturated, true);
        assert.equal(report.ok, FLOODERS, 'every flooder got every byte back, in order');
        assert.equal(await echoEachOnce(idle), 0, 'every idle connection served at the end');
        await good.stop();
        assert.equal(good.bad(), 0);
        // The last closes and completions may still be on their way: wait for them (10 s).
        let after = await stats();
        await settle(async () => {
          after = await stats();
          return after.queuedBytes === 0 && after.bytesInFlight === 0 && after.buffersInUse === 0;
        }, 10_000, 100);
        assert.equal(after.queuedBytes, 0);
        assert.equal(after.bytesInFlight, 0);
        assert.equal(after.buffersInUse, 0);
        assert.equal(await quit(), 'bye');
        assert.equal(await wine.exited(child, 30_000), 0, 'node.exe exits once both servers close');
        return `${(report.sent / 1048576).toFixed(0)} MiB echoed, queued peak ${during.queuedBytesPeak} B, largest ${during.largestSocketQueuedBytesPeak} B, locked for sending peak ${during.bytesInFlightPeak} B, ${roundsDuring} echo rounds during the flood`;
      } finally {
        for (const c of idle) c.destroy();
        await wine.stop(child);
      }
    },
  },
];
