// With maxConnectionsPolicy 'pause' (the server stops accepting at maxConnections instead of
// dropping, as node:net does by default), raising maxConnections resumes accepting at once: the peers waiting at the old limit are
// served without waiting for a connection to close (issue #11: they waited for a close,
// forever when the limit started at 0).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, listen, overlapped } from './helpers/impls';

// Not on the node backend: there maxConnections is node:net's whatever the policy, which
// closes the peers past it ('drop') instead of letting them wait (lib/node/server.ts).
describe.skipIf(overlapped.backend === 'node')('overlapped: raising maxConnections', () => {
  // Until the server has met a peer past its limit and stopped accepting: the case to test.
  async function untilPaused(before: number): Promise<void> {
    while (overlapped.stats().acceptPausesAtMaxConnections === before) await new Promise((r) => setImmediate(r));
  }

  async function ask(port: number): Promise<{ socket: nodeNet.Socket; answer: Promise<string> }> {
    const socket = nodeNet.connect(port, '127.0.0.1');
    await once(socket, 'connect'); // the kernel completes the handshake even while paused
    socket.write('ping');
    const answer = once(socket, 'data').then(([d]) => String(d));
    return { socket, answer };
  }

  it.each([1, Infinity, undefined])('from 0 to %s', async (raised) => {
    const server = overlapped.createServer({ maxConnectionsPolicy: 'pause' }, (s) => s.on('data', (d) => s.write(d)));
    server.maxConnections = 0;
    const port = await listen(server as never);
    const before = overlapped.stats().acceptPausesAtMaxConnections;
    const peer = await ask(port);
    await untilPaused(before);
    server.maxConnections = raised;
    expect(await peer.answer).toBe('ping');
    peer.socket.destroy();
    await closeServer(server as never);
  });

  it('from 1 to 3 while the first connection stays open', async () => {
    const server = overlapped.createServer({ maxConnectionsPolicy: 'pause' }, (s) => s.on('data', (d) => s.write(d)));
    server.maxConnections = 1;
    const port = await listen(server as never);
    const before = overlapped.stats().acceptPausesAtMaxConnections;
    const first = await ask(port);
    expect(await first.answer).toBe('ping');
    // The server stopped accepting as it admitted the first; these two wait in the backlog.
    const others = [await ask(port), await ask(port)];
    await untilPaused(before);
    server.maxConnections = 3;
    expect(await Promise.all(others.map((p) => p.answer))).toEqual(['ping', 'ping']);
    for (const p of [first, ...others]) p.socket.destroy();
    await closeServer(server as never);
  });
});
