// A lookup function that calls back twice makes one connection, not two: the second answer
// is ignored (issue #11: it opened a second native socket that outlived destroy()).
// node:net (20) makes no second socket either; it tries to connect the same handle again
// and fails the socket with EALREADY, where overlapped keeps the first connection.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

type LookupCb = (err: Error | null, address: unknown, family?: number) => void;

function lookupTwice(_host: string, opts: { all?: boolean }, cb: LookupCb): void {
  const answer = (): void =>
    opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  process.nextTick(() => {
    answer();
    answer();
  });
}

describe.each(impls)('%s: a lookup that calls back twice', (name, net) => {
  it('makes one connection', async () => {
    let connections = 0;
    const server = nodeNet.createServer((s) => {
      connections++;
      s.on('error', () => {});
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    const port = await listen(server);

    const c = net.connect({ port, host: 'lookup.invalid', lookup: lookupTwice as never }) as nodeNet.Socket;
    c.on('error', () => {}); // node:net: EALREADY from the second answer
    const closed = new Promise((resolve) => c.on('close', resolve)); // once() would reject on 'error'
    if (name === 'overlapped') {
      await once(c, 'connect');
      c.write('ping');
      expect(String((await once(c, 'data'))[0])).toBe('ping');
      c.destroy();
    }
    await closed;

    // A second connect from the second answer would have been made before this one, so the
    // server would see it first: after this round trip, the count is complete.
    const sentinel = nodeNet.connect(port, '127.0.0.1');
    sentinel.write('ping');
    await once(sentinel, 'data');
    sentinel.destroy();
    expect(connections).toBe(2);
    await closeServer(server);
  });
});
