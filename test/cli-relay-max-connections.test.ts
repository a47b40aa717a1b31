// `overlapped relay --max-connections N`: at N open relayed connections the relay stops
// taking more, and one past it waits until a slot frees. On the native backends the waiting
// peer is relayed then (the listener pauses; the peer waits in the backlog or, accepted
// before the pause took effect, unread). On the node backend the listener is node:net's,
// whose maxConnections can only close the peer past it; that is what is asserted there.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer } from './helpers/impls';
import { startRelayBin } from './helpers/cli';

const native = process.env.OVERLAPPED_BACKEND !== 'node';

function echoed(c: net.Socket, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got === text) {
        c.removeListener('data', onData);
        resolve();
      }
    };
    c.on('data', onData);
    c.once('error', reject);
    c.write(text);
  });
}

describe('overlapped relay --max-connections', () => {
  it('holds the connection past the limit until a slot frees', async () => {
    const target = net.createServer((c) => c.pipe(c));
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', '1', '--max-connections', '2', '--stats=1']);
    try {
      const a = net.connect(relay.port, '127.0.0.1');
      const b = net.connect(relay.port, '127.0.0.1');
      await Promise.all([echoed(a, 'a'), echoed(b, 'b')]);
      const c = net.connect(relay.port, '127.0.0.1');
      let cGot = '';
      let cClosed = false;
      c.on('data', (d: Buffer) => (cGot += d.toString()));
      c.on('error', () => {});
      c.on('close', () => (cClosed = true));
      c.write('c');
      // A stats line taken after c connected: still two relayed connections.
      await once(c, 'connect');
      const after = Date.now();
      const stats = await relay.next('stats', (e) => Date.parse(String(e.time)) > after + 100);
      expect(stats.connections).toBe(2);
      expect(cGot).toBe('');
      a.destroy();
      if (native) {
        // The slot a frees goes to c, whose byte was waiting.
        while (cGot !== 'c') await new Promise((r) => setTimeout(r, 10));
        expect(cClosed).toBe(false);
        await echoed(b, 'b2'); // b unaffected
        c.destroy();
      } else {
        if (!cClosed) await once(c, 'close');
        expect(cGot).toBe('');
      }
      b.destroy();
    } finally {
      const code = await relay.stop();
      await closeServer(target); // before the assertion, which would leave it open
      expect(code).toBe(0);
    }
  });
});
