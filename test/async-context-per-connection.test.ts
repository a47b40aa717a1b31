// Each socket and server has its own async context, as node:net's handles do (issue #11):
// a client socket's events run in the context where connect() was called, a server's
// 'connection' in listen()'s, an accepted socket's in one of its own that starts under no
// store, and an AsyncLocalStorage store entered in one connection's handler is seen by that
// connection's later events only, never by another connection's. The server's 'close' comes
// in close()'s context.
import { describe, expect, it } from 'vitest';
import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { impls, listen } from './helpers/impls';

describe.each(impls)('%s: async context per connection', (_name, net) => {
  it('each connection sees its own AsyncLocalStorage store', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: Record<string, string | undefined> = {};
    const see = (what: string): void => {
      seen[what] = als.getStore();
    };
    let accepted = 0;
    const serverSides: Promise<unknown>[] = [];
    const server = net.createServer((s: Socket) => {
      see(`connection ${++accepted}`);
      serverSides.push(once(s, 'close'));
      let name = '';
      s.on('data', (d: Buffer) => {
        name = d.toString();
        see(`server ${name} data`);
        // Enters a store for this connection's later events (and only this connection's).
        als.enterWith(`server of ${name}`);
        s.write(d);
      });
      s.on('end', () => see(`server ${name} end`));
      s.on('close', () => see(`server ${name} close`));
    });
    const port = await als.run('listen', () => listen(server));

    const clients = ['c1', 'c2'].map((name) => {
      const c = als.run(name, () => net.connect(port, '127.0.0.1'));
      c.on('connect', () => {
        see(`${name} connect`);
        c.write(name);
      });
      c.on('data', () => {
        see(`${name} data`);
        c.end();
      });
      c.on('end', () => see(`${name} end`));
      c.on('close', () => see(`${name} close`));
      return once(c, 'close');
    });
    await Promise.all(clients);
    await Promise.all(serverSides);
    const closed = once(server, 'close');
    als.run('closing', () => server.close(() => see('server close callback')));
    server.on('close', () => see('server close'));
    await closed;
    await new Promise((r) => setImmediate(r));

    expect(seen).toEqual({
      'connection 1': 'listen',
      'connection 2': 'listen',
      'server c1 data': undefined,
      'server c1 end': 'server of c1',
      'server c1 close': 'server of c1',
      'server c2 data': undefined,
      'server c2 end': 'server of c2',
      'server c2 close': 'server of c2',
      'c1 connect': 'c1',
      'c1 data': 'c1',
      'c1 end': 'c1',
      'c1 close': 'c1',
      'c2 connect': 'c2',
      'c2 data': 'c2',
      'c2 end': 'c2',
      'c2 close': 'c2',
      'server close callback': 'closing',
      'server close': 'closing',
    });
  });
});
