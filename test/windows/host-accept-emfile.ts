// Windows (IOCP under Wine), driven from the Linux side: a listener that runs out of handles
// backs off and re-posts its accepts; it never stops accepting, and every peer is served in
// the end. Counterpart of test/accept-emfile.test.ts.
//
// The shortage is real, not simulated: Winsock sockets under Wine are Linux descriptors held
// by the wineserver and the node.exe process, so a fresh wineserver started under
// `prlimit --nofile=N` runs out of them. How many descriptors Wine needs just to start varies
// with the Wine version, so N is found by search: one step (40) above the lowest N at which
// node.exe starts and posts its accepts cleanly. 200 peers at once are then far more than it
// has room for. Peers are node:net on the Linux side.
//
// The peers hold their connections, silent, until every one of them is connected (the kernel
// completes the handshakes into the backlog), and only then ask. Peers that asked at once
// were answered and gone so fast that, some runs in ten, the server never held more than it
// had room for and no accept failed (a CI run at nofile=320 saw none): whether the
// shortage happened was the race's to decide, not the test's.
import { strict as assert } from 'node:assert';
import { ask, waitForJsonLine, type HostCase, type Wine } from './host-tools';

/**
 * `count` peers connect and stay silent until all are connected and `holdMs` more have
 * passed; then each sends its message and resolves with the whole answer. A peer that fails
 * to connect rejects at once.
 */
function connectHoldAsk(port: number, count: number, holdMs: number): Promise<string[]> {
  let connected = 0;
  let allConnected!: () => void;
  const go = new Promise<void>((r) => (allConnected = r)).then(() => new Promise((r) => setTimeout(r, holdMs)));
  const onConnect = () => {
    if (++connected === count) allConnected();
    return go;
  };
  return Promise.all(Array.from({ length: count }, (_, i) => ask(port, `hello ${i}`, onConnect)));
}

export const title = 'overlapped (IOCP): accept under EMFILE';

export const cases: HostCase[] = [
  {
    name: 'backs off on WSAEMFILE/WSAENOBUFS, re-posts, and serves every peer in the end',
    async run(wine: Wine) {
      const PEERS = 200;
      let startedCleanly = false;
      for (let n = 280; n <= 1000; n += 40) {
        const out = wine.outFile(`emfile-${n}.txt`);
        const child = wine.sh(`prlimit --nofile=${n}:${n} wine "${wine.nodeExe}" test/fixtures/fd-limited-server.cjs > "${out}" 2>&1`);
        try {
          const first = await waitForJsonLine(out, child, 30_000);
          if (!first) continue; // too few descriptors for Wine and node.exe to start
          const { port } = first;
          const before = JSON.parse(await ask(port, 'stats'));
          if (before.acceptErrors > 0) continue; // too few to post the accepts at all
          // The first limit that lets node.exe start leaves Wine itself so short that it
          // resets connections it cannot take; the run is made one step (40) above it.
          if (!startedCleanly) {
            startedCleanly = true;
            continue;
          }
          const answers = await connectHoldAsk(port, PEERS, 500);
          assert.deepEqual(answers, Array.from({ length: PEERS }, (_, i) => `hello ${i}`), 'every peer served');
          const stats = JSON.parse(await ask(port, 'stats'));
          assert.ok(stats.acceptErrors > 0, `accept failures really happened at nofile=${n} (stats: ${JSON.stringify(stats)})`);
          assert.ok(stats.acceptsPaused > 0, 'and the listener backed off');
          assert.equal(stats.listenersOpen, 1, 'and is still listening');
          assert.equal(await ask(port, 'quit'), 'bye');
          const code = await wine.exited(child, 30_000);
          assert.equal(code, 0, 'node.exe exits cleanly');
          return `nofile=${n}: ${stats.acceptErrors} accept failures, ${stats.acceptsPaused} back-offs, ${PEERS} peers served`;
        } finally {
          await wine.stop(child);
        }
      }
      throw new Error('node.exe never started under any tried descriptor limit');
    },
  },
];
