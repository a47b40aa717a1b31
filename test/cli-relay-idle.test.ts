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
    // The timeout is ten times the busy connection's interval, so that only a stall of a
    // second (not a few hundred ms, which a loaded machine gives) could pass for idleness.
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', '1', '--idle-timeout', '1000']);
    try {
      // Before connecting: the relay's clock for a connection starts at its accept, after this.
      const started = Date.now();
      const quiet = net.connect(relay.port, '127.0.0.1');
      const busy = net.connect(relay.port, '127.0.0.1');
      quiet.on('error', () => {});
      busy.resume();
      await Promise.all([once(quiet, 'connect'), once(busy, 'connect')]);
      // The busy one sends something every 100 ms for 2.5 s: two and a half timeouts' worth.
      const ticker = setInterval(() => busy.write('x'), 100);
      await once(quiet, 'close');
      const quietFor = Date.now() - started;
      expect(quietFor).toBeGreaterThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, Math.max(0, 2500 - quietFor)));
      clearInterval(ticker);
      expect(busy.destroyed).toBe(false);
      busy.destroy();
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(target);
    }
  });
});
