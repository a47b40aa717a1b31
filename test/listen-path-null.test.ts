// listen({ port, path: null }) listens on the port: node:net takes `path` as an IPC path only
// when it is truthy (issue #11; option objects built by other code carry `path: null`).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { closeServer, impls } from './helpers/impls';

describe.each(impls)('%s: listen() with path: null', (_name, net) => {
  it.each([null, undefined, ''])('listens on the port with path %s', async (path) => {
    const server = net.createServer((c) => c.end('hi'));
    server.listen({ port: 0, host: '127.0.0.1', path } as never);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    expect(port).toBeGreaterThan(0);
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (got += d));
    await once(c, 'close');
    expect(got).toBe('hi');
    await closeServer(server as never);
  });
});
