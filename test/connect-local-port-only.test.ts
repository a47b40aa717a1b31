// connect({ localPort }) without localAddress binds that port on the wildcard address of the
// peer's family before connecting, as node:net does (issue #11: the port was ignored).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

// A port that was free a moment ago: the kernel's pick for a listener that is then closed.
async function freePort(): Promise<number> {
  const probe = nodeNet.createServer();
  const port = await listen(probe);
  await closeServer(probe);
  return port;
}

describe.each(impls)('%s: connect() with localPort and no localAddress', (_name, net) => {
  it('connects from that port', async () => {
    const seen: number[] = [];
    const server = nodeNet.createServer((s) => {
      seen.push(s.remotePort!);
      s.end();
    });
    const port = await listen(server);
    // Another program may take the free port before we bind it: then try another.
    for (let attempt = 1; ; attempt++) {
      const localPort = await freePort();
      const c = net.connect({ port, host: '127.0.0.1', localPort }) as nodeNet.Socket;
      const result = await new Promise<Error | null>((resolve) => {
        c.once('connect', () => resolve(null));
        c.once('error', resolve);
      });
      if (result && (result as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      expect(result).toBe(null);
      expect(c.localPort).toBe(localPort);
      c.resume();
      await once(c, 'end');
      c.destroy();
      expect(seen).toEqual([localPort]);
      break;
    }
    await closeServer(server);
  });
});
