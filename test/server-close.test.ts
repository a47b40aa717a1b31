// server.close() while clients are connected: new connections are refused at once, existing
// ones keep working, and 'close' (and the close callback) come only after they have all gone;
// no 'connection' is emitted after close().
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { impls, listen } from './helpers/impls';

describe.each(impls)('%s: server close', (_name, net) => {
  it("emits no 'connection' after close(), even for connections that arrived together", async () => {
    const seen: Socket[] = [];
    const server = net.createServer((s: Socket) => {
      seen.push(s);
      s.on('error', () => {});
      if (seen.length === 1) server.close();
      s.destroy();
    });
    const port = await listen(server);
    const serverClosed = once(server, 'close');
    // Twenty at once, so several are accepted before the first 'connection' is handled. Those
    // the server never takes are reset (as node:net does), hence 'error' is ignored.
    const clients = Array.from({ length: 20 }, () => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      return new Promise((resolve) => c.on('close', resolve));
    });
    await Promise.all(clients);
    await serverClosed;
    expect(seen).toHaveLength(1);
  });

  it('stops accepting, keeps serving open connections, then emits close', async () => {
    let seen = 0;
    let allSeen: () => void;
    const serverSawAll = new Promise<void>((r) => (allSeen = r));
    const server = net.createServer((s: Socket) => {
      s.pipe(s);
      if (++seen === 3) allSeen();
    });
    const port = await listen(server);
    const clients = await Promise.all(
      [1, 2, 3].map(async () => {
        const c = net.connect(port, '127.0.0.1');
        await once(c, 'connect');
        return c;
      }),
    );
    // The server has taken all three before it closes: a connection still in the backlog
    // would be dropped with the listener (a fixed wait here lost that race under Wine's
    // slower accepts).
    await serverSawAll;
    let closed = false;
    const closeCb = new Promise<Error | undefined>((resolve) =>
      server.close((err?: Error) => {
        closed = true;
        resolve(err);
      }),
    );
    expect(server.listening).toBe(false);
    expect(server.address()).toBeNull();

    // A new connection is refused.
    const late = net.connect(port, '127.0.0.1');
    const [err] = (await once(late, 'error').catch((e) => [e])) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');

    // The open ones still echo.
    for (const [i, c] of clients.entries()) {
      c.write(`ping ${i}`);
      const [d] = (await once(c, 'data')) as [Buffer];
      expect(d.toString()).toBe(`ping ${i}`);
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);

    for (const c of clients) c.end();
    expect(await closeCb).toBeUndefined();
    expect(closed).toBe(true);
  });

  it('close() on a server that is not listening reports ERR_SERVER_NOT_RUNNING', async () => {
    const server = net.createServer();
    const err = await new Promise<Error | undefined>((resolve) => server.close(resolve));
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toBe('ERR_SERVER_NOT_RUNNING');
  });

  it('the port can be listened on again right after close', async () => {
    const a = net.createServer();
    const port = await listen(a);
    await new Promise<void>((r) => a.close(() => r()));
    const b = net.createServer();
    b.listen(port, '127.0.0.1');
    await once(b, 'listening');
    expect((b.address() as { port: number }).port).toBe(port);
    await new Promise<void>((r) => b.close(() => r()));
  });
});
