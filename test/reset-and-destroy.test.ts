// socket.resetAndDestroy() closes with an RST: the peer sees ECONNRESET rather than an
// orderly 'end'; while connecting, the reset waits for the
// connection; on a socket never connected it destroys with ERR_SOCKET_CLOSED. destroy() stays
// an orderly close.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import type { Socket } from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

/** What a node:net peer sees of the connection's end: 'end' or an error code. */
function peerOutcome(peer: Socket): Promise<string> {
  return new Promise((resolve) => {
    peer.on('data', () => {});
    peer.on('end', () => resolve('end'));
    peer.on('error', (e: Error & { code?: string }) => resolve(e.code ?? 'error'));
  });
}

describe.each(impls)('%s: resetAndDestroy()', (_name, net) => {
  async function pair(): Promise<{ ours: Socket; seen: Promise<string>; server: nodeNet.Server }> {
    let seen!: Promise<string>;
    const server = nodeNet.createServer();
    const accepted = new Promise<void>((resolve) => {
      server.once('connection', (p: Socket) => {
        seen = peerOutcome(p);
        resolve();
      });
    });
    const port = await listen(server);
    const ours = net.connect(port, '127.0.0.1');
    await once(ours, 'connect');
    await accepted;
    return { ours, seen, server };
  }

  it('the peer gets ECONNRESET, and we get close without an error', async () => {
    const { ours, seen, server } = await pair();
    const closed = once(ours, 'close');
    expect(ours.resetAndDestroy()).toBe(ours);
    expect(await seen).toBe('ECONNRESET');
    expect((await closed)[0]).toBe(false);
    await closeServer(server);
  });

  it('destroy() by contrast ends the connection in order', async () => {
    const { ours, seen, server } = await pair();
    ours.destroy();
    expect(await seen).toBe('end');
    await closeServer(server);
  });

  it('while connecting, the reset comes once connected', async () => {
    let seen!: Promise<string>;
    const server = nodeNet.createServer((p) => (seen = peerOutcome(p)));
    const port = await listen(server);
    const ours = net.connect(port, '127.0.0.1');
    const events: string[] = [];
    ours.on('connect', () => events.push('connect'));
    ours.resetAndDestroy();
    await once(ours, 'close');
    expect(events).toEqual(['connect']);
    while (!seen) await new Promise((r) => setTimeout(r, 5));
    expect(await seen).toBe('ECONNRESET');
    await closeServer(server);
  });

  it('on a socket that never connected it destroys with ERR_SOCKET_CLOSED', async () => {
    const s = new (net as unknown as typeof nodeNet).Socket();
    const error = once(s, 'error');
    s.resetAndDestroy();
    const [err] = (await error) as [Error & { code?: string }];
    expect(err.code).toBe('ERR_SOCKET_CLOSED');
  });
});
