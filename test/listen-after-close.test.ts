// listen() right after close() starts listening again, as node:net allows, though the old
// listener's native close has not completed yet (issue #11: ERR_SERVER_ALREADY_LISTEN).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { impls, listen } from './helpers/impls';

describe.each(impls)('%s: listen() right after close()', (_name, net) => {
  it('listens again and serves connections; each close() has its close', async () => {
    const server = net.createServer((s) => s.end('hi')) as nodeNet.Server;
    let closes = 0;
    server.on('close', () => closes++);
    await listen(server);
    server.close();
    expect(server.listening).toBe(false);
    const port = await listen(server); // throws ERR_SERVER_ALREADY_LISTEN without the fix
    expect(server.listening).toBe(true);

    const c = nodeNet.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    await once(c, 'end');
    c.destroy();
    expect(Buffer.concat(chunks).toString()).toBe('hi');

    const closed = once(server, 'close');
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    await closed;
    expect(server.listening).toBe(false);
    expect(closes).toBe(2);
  });
});
