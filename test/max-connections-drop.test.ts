// maxConnections as node:net has it, overlapped's default: a connection past the limit is
// accepted and closed at once, and the server emits 'drop' with both ends' addresses (issue
// #11). The same program runs on overlapped and on node:net and must see the same.
// (maxConnectionsPolicy 'pause', the back-off instead: test/accept-max-connections.)
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: maxConnections drops what is past it', (_name, net) => {
  it("closes the connections past the limit and emits 'drop' for each", async () => {
    const server = net.createServer((s) => s.on('data', (d) => s.write(d)));
    server.maxConnections = 1;
    const drops: Array<Record<string, unknown>> = [];
    server.on('drop', (data) => drops.push({ ...data }));
    const port = await listen(server as never);

    const first = nodeNet.connect(port, '127.0.0.1');
    await once(first, 'connect');
    first.write('ping');
    expect(String((await once(first, 'data'))[0])).toBe('ping');

    // Two more, past the limit: each is closed by the server without a byte.
    const late = [nodeNet.connect(port, '127.0.0.1'), nodeNet.connect(port, '127.0.0.1')];
    const localPorts: number[] = [];
    for (const c of late) c.on('connect', () => localPorts.push(c.localPort!)); // gone after close
    const outcomes = await Promise.all(
      late.map(
        (c) =>
          new Promise<string>((resolve) => {
            let got = 0;
            c.on('data', (d: Buffer) => (got += d.length));
            c.on('error', (e) => resolve(`error ${(e as { code?: string }).code}`));
            c.on('close', () => resolve(`closed, ${got} bytes`));
          }),
      ),
    );
    for (const o of outcomes) expect(o).toMatch(/^closed, 0 bytes$|^error ECONNRESET$/);
    expect(drops.length).toBe(2);
    expect(drops.map((d) => d.remotePort).sort()).toEqual(localPorts.sort());
    for (const d of drops) {
      expect(d).toMatchObject({ localAddress: '127.0.0.1', localPort: port, localFamily: 'IPv4', remoteAddress: '127.0.0.1', remoteFamily: 'IPv4' });
    }
    // The connection within the limit is still served.
    first.write('again');
    expect(String((await once(first, 'data'))[0])).toBe('again');
    first.destroy();
    await closeServer(server as never);
  });
});
