// Windows (IOCP under Wine), driven from the Linux side: resetAndDestroy() on a socket that is
// still connecting sends an RST once connected, every time. Counterpart of the "while
// connecting" case of test/reset-and-destroy.test.ts, which runs everywhere else.
//
// Why the peer is on Linux: Wine (8.0) reports an RST that reaches a connection while no
// receive is pending on it as an orderly end (recv() returns 0), where Windows and Linux
// report WSAECONNRESET/ECONNRESET; test/windows/probes/rst-unread.c shows it with plain
// Winsock. A reset sent right as the connection completes can arrive before an in-process
// peer has accepted and started reading, so under Wine that peer (node:net's own too) sees
// 'end' in some runs whatever the sender does. A Linux peer keeps the reset until it reads,
// so it sees exactly what went on the wire.
import { strict as assert } from 'node:assert';
import * as nodeNet from 'node:net';
import { once } from 'node:events';
import { settle } from '../helpers/settle';
import { waitForJsonLine, type HostCase, type Wine } from './host-tools';

export const title = 'overlapped (IOCP): resetAndDestroy() while connecting';

const ROUNDS = 50;

export const cases: HostCase[] = [
  {
    name: 'the reset comes once connected, and the peer sees ECONNRESET every time',
    async run(wine: Wine) {
      const outcomes: Promise<string>[] = [];
      const server = nodeNet.createServer((p) => {
        outcomes.push(
          new Promise((resolve) => {
            p.on('data', () => resolve('data'));
            p.on('end', () => resolve('end'));
            p.on('error', (e: Error & { code?: string }) => resolve(e.code ?? 'error'));
          }),
        );
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as nodeNet.AddressInfo;
      const out = wine.outFile('reset-while-connecting.txt');
      const child = wine.sh(`wine "${wine.nodeExe}" test/fixtures/reset-while-connecting.cjs ${port} ${ROUNDS} > "${out}" 2>&1`);
      try {
        const result = await waitForJsonLine(out, child, 120_000);
        assert.ok(result, 'the fixture printed its result');
        assert.equal(await wine.exited(child, 30_000), 0, 'node.exe exits on its own');
        const seen = result.seen as string[][];
        assert.deepEqual(seen, Array.from({ length: ROUNDS }, () => ['connect', 'close']), "each socket: 'connect', then 'close', no error");
        // The last rounds' accepts may still be on their way through this process's loop.
        await settle(() => outcomes.length >= ROUNDS, 10_000, 20);
        assert.equal(outcomes.length, ROUNDS, 'every round reached the peer');
        const got = await Promise.all(outcomes);
        assert.deepEqual(got, Array.from({ length: ROUNDS }, () => 'ECONNRESET'), 'the peer saw a reset each time');
        return `${ROUNDS} rounds, ${ROUNDS} resets`;
      } finally {
        await wine.stop(child);
        server.close();
      }
    },
  },
];
