// close() while listen(port, hostname) is still looking the host up: the server does not
// listen once the lookup answers, as node:net (issue #11: it listened after its 'close').
import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { impls } from './helpers/impls';

// The dns module object itself (an ESM namespace cannot be assigned to), which both
// overlapped and node:net call lookup on.
const dns = createRequire(__filename)('node:dns') as { lookup: unknown };
const realLookup = dns.lookup;
afterEach(() => {
  dns.lookup = realLookup;
});

describe.each(impls)('%s: close() during listen()\'s lookup', (_name, net) => {
  it('does not listen when the lookup answers', async () => {
    // Both servers look the host up through the dns module's lookup; wrapping it tells when
    // the server's own callback has run, so the test waits on that rather than on a timer.
    let answered!: () => void;
    const lookupDone = new Promise<void>((r) => (answered = r));
    dns.lookup = (host: string, ...rest: unknown[]) => {
      const cb = rest.pop() as (...a: unknown[]) => void;
      (realLookup as (...a: unknown[]) => void)(host, ...rest, (...a: unknown[]) => {
        try {
          cb(...a);
        } finally {
          answered();
        }
      });
    };

    const server = net.createServer() as nodeNet.Server;
    let listened = false;
    server.on('listening', () => (listened = true));
    server.listen(0, 'localhost');
    let closeErr: (Error & { code?: string }) | undefined;
    server.close((err) => (closeErr = err));
    await once(server, 'close');
    expect(closeErr?.code).toBe('ERR_SERVER_NOT_RUNNING');

    await lookupDone;
    await new Promise((r) => setImmediate(r)); // a 'listening' would be emitted on the next tick
    expect(listened).toBe(false);
    expect(server.listening).toBe(false);
    expect(server.address()).toBe(null);
  });
});
