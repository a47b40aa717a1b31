// `overlapped relay --idle-timeout`: a connection that moves no byte either way for that long
// is closed; one that keeps moving bytes (inside the addon, where JS never sees them) is not.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer } from './helpers/impls';
import { startRelayBin } from './helpers/cli';

describe('overlapped relay: idle timeout', () => {
  it('closes a quiet connection and keeps a busy one', async () => {
    const target = net.createServer((c) => c.pipe(c));
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', '1', '--idle-timeout', '400']);
    try {
      const quiet = net.connect(relay.port, '127.0.0.1');
      const busy = net.connect(relay.port, '127.0.0.1');
      quiet.on('error', () => {});
      busy.resume();
      await Promise.all([once(quiet, 'connect'), once(busy, 'connect')]);
      const started = Date.now();
      // The busy one sends something every 100 ms for 1.2 s: three timeouts' worth.
      const ticker = setInterval(() => busy.write('x'), 100);
      await once(quiet, 'close');
      const quietFor = Date.now() - started;
      expect(quietFor).toBeGreaterThanOrEqual(350);
      await new Promise((r) => setTimeout(r, 1200 - quietFor));
      clearInterval(ticker);
      expect(busy.destroyed).toBe(false);
      busy.destroy();
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(target);
    }
  });
});
