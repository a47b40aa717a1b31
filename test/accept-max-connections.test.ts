// With maxConnectionsPolicy 'pause', at maxConnections the server stops accepting and resumes
// when a connection closes. Peers beyond the limit wait (in the kernel's backlog, or held
// unread) and are served in turn; none is turned away, unlike node:net (and overlapped's
// default, test/max-connections-drop) which accepts and closes them ('drop').
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, listen, overlapped } from './helpers/impls';
import { settle } from './helpers/settle';

// Not on the node backend: there maxConnections is node:net's whatever the policy, which
// accepts and closes the peers past it ('drop'); node:net has no way to stop accepting for a
// while (lib/node/server.ts).
describe.skipIf(overlapped.backend === 'node')('overlapped: maxConnections', () => {
  it('pauses accepting at the limit and serves the waiting peers as slots free', async () => {
    const live = new Set<unknown>();
    let maxLive = 0;
    const server = overlapped.createServer({ maxConnectionsPolicy: 'pause' }, (s) => {
      live.add(s);
      maxLive = Math.max(maxLive, live.size);
      s.prependListener('close', () => live.delete(s)); // before the server frees the slot
      s.on('data', (d) => s.end(d)); // answer one message, then close
    });
    server.maxConnections = 3;
    let dropped = 0;
    server.on('drop', () => dropped++);
    const port = await listen(server as never);
    const pausesBefore = overlapped.stats().acceptPausesAtMaxConnections;

    // Ten peers at once; each holds its connection, silent, until the server has paused at
    // its limit (a fixed wait here let the first peers be answered and gone before the
    // later ones were accepted, on a slow machine, and then no pause was needed at all).
    const paused = (async () => {
      const pausedNow = () => overlapped.stats().acceptPausesAtMaxConnections !== pausesBefore;
      await settle(pausedNow, 20_000, 5);
      if (!pausedNow()) throw new Error('the server never paused at maxConnections');
    })();
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const c = nodeNet.connect(port, '127.0.0.1');
        await once(c, 'connect'); // the kernel completes the handshake even while paused
        await paused;
        c.write(`peer ${i}`);
        const chunks: Buffer[] = [];
        c.on('data', (d: Buffer) => chunks.push(d));
        await once(c, 'end');
        return Buffer.concat(chunks).toString();
      }),
    );
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => `peer ${i}`));
    expect(maxLive).toBeLessThanOrEqual(3);
    expect(dropped).toBe(0);
    expect(overlapped.stats().acceptPausesAtMaxConnections).toBeGreaterThan(pausesBefore);
    await closeServer(server as never);
  });
});
