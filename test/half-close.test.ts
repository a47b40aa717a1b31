// Half-close in both directions with allowHalfOpen: a side that has ended its writing can
// still receive, and the other side sees 'end' but can keep writing.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, readAll } from './helpers/impls';

describe.each(impls)('%s: half-close', (_name, net) => {
  it('client ends first; server still answers after seeing end', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s: Socket) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => {
        // The client can no longer write, but it can still read.
        s.write('got:');
        setTimeout(() => s.end(Buffer.concat(chunks).toString().toUpperCase()), 20);
      });
    });
    const port = await listen(server);
    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const received = readAll(client);
    client.end('request');
    await once(client, 'finish');
    expect(client.writable).toBe(false);
    expect((await received).toString()).toBe('got:REQUEST');
    await closeServer(server);
  });

  it('server ends first; client still sends after seeing end', async () => {
    let serverGot: Promise<Buffer> | undefined;
    const server = net.createServer({ allowHalfOpen: true }, (s: Socket) => {
      serverGot = readAll(s);
      s.end('hello, then silence');
    });
    const port = await listen(server);
    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const closed = once(client, 'close');
    const fromServer = await readAll(client);
    expect(fromServer.toString()).toBe('hello, then silence');
    expect(client.writable).toBe(true);
    client.end('still talking');
    expect((await serverGot!).toString()).toBe('still talking');
    await closed;
    await closeServer(server);
  });

  it('without allowHalfOpen, the peer ending ends our side too', async () => {
    const server = net.createServer((s: Socket) => {
      s.resume();
      s.on('end', () => void 0);
    });
    const port = await listen(server);
    const serverSide = once(server, 'connection');
    const client = net.connect(port, '127.0.0.1');
    const [s] = (await serverSide) as [Socket];
    const closed = once(s, 'close');
    client.end();
    await closed;
    expect(s.writableEnded).toBe(true);
    await closeServer(server);
  });
});
