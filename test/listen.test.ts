// listen() overloads and failures, as node:net: (port, host, cb), options objects, IPv6,
// dual stack by default, EADDRINUSE with node's message, ERR_SERVER_ALREADY_LISTEN.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: listen', (_name, net) => {
  it('listens with (port, host, callback) and reports its address', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address() as nodeNet.AddressInfo;
    expect(a.address).toBe('127.0.0.1');
    expect(a.family).toBe('IPv4');
    expect(a.port).toBeGreaterThan(0);
    expect(server.listening).toBe(true);
    await closeServer(server);
  });

  it('listens with an options object on IPv6 loopback', async () => {
    const server = net.createServer((s) => s.end('six'));
    server.listen({ port: 0, host: '::1' });
    await once(server, 'listening');
    const a = server.address() as nodeNet.AddressInfo;
    expect(a.address).toBe('::1');
    expect(a.family).toBe('IPv6');
    const c = net.connect(a.port, '::1');
    const [d] = (await once(c, 'data')) as [Buffer];
    expect(d.toString()).toBe('six');
    expect(c.remoteFamily).toBe('IPv6');
    await closeServer(server);
  });

  it('without a host, listens dual-stack: IPv4 clients reach it', async () => {
    const server = net.createServer((s) => s.end('any'));
    server.listen(0);
    await once(server, 'listening');
    const a = server.address() as nodeNet.AddressInfo;
    expect(a.address).toBe('::');
    const c = net.connect(a.port, '127.0.0.1');
    const [d] = (await once(c, 'data')) as [Buffer];
    expect(d.toString()).toBe('any');
    await closeServer(server);
  });

  it('EADDRINUSE is emitted as a node-shaped error', async () => {
    const first = net.createServer();
    const port = await listen(first);
    const second = net.createServer();
    second.listen(port, '127.0.0.1');
    const [err] = (await once(second, 'error')) as [NodeJS.ErrnoException & { address: string; port: number }];
    expect(err.code).toBe('EADDRINUSE');
    expect(err.syscall).toBe('listen');
    expect(err.address).toBe('127.0.0.1');
    expect(err.port).toBe(port);
    expect(err.message).toBe(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
    expect(second.listening).toBe(false);
    await closeServer(first);
  });

  it('a second listen() throws ERR_SERVER_ALREADY_LISTEN; bad ports throw ERR_SOCKET_BAD_PORT', async () => {
    const server = net.createServer();
    await listen(server);
    expect(() => server.listen(0)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_ALREADY_LISTEN' }));
    await closeServer(server);
    const other = net.createServer();
    expect(() => other.listen(70000)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => other.listen({ port: -5 })).toThrow(RangeError);
  });
});
