// An echo round trip: bytes written by a client come back unchanged, and the socket reports
// what node:net reports about its ends.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, readAll } from './helpers/impls';

describe.each(impls)('%s: echo', (_name, net) => {
  it('echoes bytes back and reports addresses', async () => {
    const server = net.createServer((s) => s.pipe(s));
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.remotePort).toBe(port);
    expect(client.remoteFamily).toBe('IPv4');
    expect(client.localAddress).toBe('127.0.0.1');
    expect(typeof client.localPort).toBe('number');
    const received = readAll(client);
    client.write('hello ');
    client.end(Buffer.from('world'));
    expect((await received).toString()).toBe('hello world');
    expect(client.bytesRead).toBe(11);
    expect(client.bytesWritten).toBe(11);
    await closeServer(server);
  });

  it('emits connect and ready, then close with hadError false', async () => {
    const server = net.createServer((s: Socket) => s.end('bye'));
    const port = await listen(server);
    const client = net.connect({ port, host: 'localhost' });
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('ready', () => events.push('ready'));
    client.on('end', () => events.push('end'));
    client.resume();
    const [hadError] = await once(client, 'close');
    expect(hadError).toBe(false);
    expect(events).toEqual(['connect', 'ready', 'end']);
    await closeServer(server);
  });

  it('passes strings in any encoding and calls write callbacks in order', async () => {
    const server = net.createServer((s) => s.pipe(s));
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    const order: number[] = [];
    const received = readAll(client);
    client.write('68656c6c6f', 'hex', () => order.push(1));
    client.write('IA==', 'base64', () => order.push(2));
    client.write('wörld', 'utf8', () => order.push(3));
    client.end();
    expect((await received).toString('utf8')).toBe('hello wörld');
    expect(order).toEqual([1, 2, 3]);
    await closeServer(server);
  });
});
