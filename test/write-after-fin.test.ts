// A write after the peer ended, once a socket that is not half-open has ended its own side,
// fails with node:net's EPIPE "This socket has been ended by the other party" (its
// writeAfterFIN), not the generic write-after-end error; a write made in the 'end' handler
// itself, before the automatic end(), still goes out (issue #11).
import { describe, expect, it } from 'vitest';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: write after the peer ended', (_name, net) => {
  it("goes out from the 'end' handler, and fails with EPIPE after the automatic end()", async () => {
    // The server reads what comes (so that it sees our FIN and closes) and ends at once.
    const server = net.createServer((c) => {
      c.resume();
      c.end('bye');
    });
    const port = await listen(server as never);
    const events: string[] = [];
    const s = net.connect(port, '127.0.0.1');
    s.on('data', () => {});
    s.on('end', () => {
      events.push(`end, writableEnded ${s.writableEnded}`);
      s.write('a', (e) => events.push(`first write: ${e ? (e as { code?: string }).code : 'ok'}`));
      setImmediate(() => {
        events.push(`later, writableEnded ${s.writableEnded}`);
        const r = s.write('b', (e) => events.push(`second write: ${(e as { code?: string }).code} ${e?.message}`));
        events.push(`write() returned ${r}`);
      });
    });
    s.on('error', (e) => events.push(`error ${(e as { code?: string }).code}`));
    await new Promise((r) => s.on('close', r));
    expect(events).toEqual([
      'end, writableEnded false',
      'first write: ok',
      'later, writableEnded true',
      'write() returned false',
      'second write: EPIPE This socket has been ended by the other party',
    ]);
    expect(s.destroyed).toBe(true);
    await closeServer(server as never);
  });
});
