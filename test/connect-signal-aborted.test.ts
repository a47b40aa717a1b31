// connect() with a signal that is already aborted: no throw, no connection; the socket emits
// 'error' (an AbortError) and then 'close', as node:net's does (issue #11: overlapped threw
// ERR_SOCKET_CLOSED from connect() and the AbortError then went uncaught).
import { describe, expect, it } from 'vitest';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: connect() with an aborted signal', (_name, net) => {
  it("emits 'error' (AbortError) then 'close', and never connects", async () => {
    const server = net.createServer();
    let accepted = 0;
    server.on('connection', (s) => {
      accepted++;
      s.destroy();
    });
    const port = await listen(server as never);
    const ac = new AbortController();
    ac.abort();
    const events: string[] = [];
    const socket = net.connect({ port, host: '127.0.0.1', signal: ac.signal });
    socket.on('connect', () => events.push('connect'));
    socket.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.name} ${e.code}`));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // node:net emits 'close' a second time (its connect() re-initialises the destroyed socket
    // and destroys it again), so only the order of the first two events is compared.
    socket.on('close', () => events.push('close'));
    events.push('close');
    expect(events.slice(0, 2)).toEqual(['error AbortError ABORT_ERR', 'close']);
    // A connection made anyway would have been accepted by the time the server has closed.
    await closeServer(server as never);
    expect(accepted).toBe(0);
    expect(events).not.toContain('connect');
    // node:net's re-initialised socket may still hold a handle (on Windows it gets as far as
    // a TCP connection to the closed server's port): release it, as a program would.
    socket.destroy();
  });
});
