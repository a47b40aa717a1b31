// `overlapped relay` with several targets: round-robin over them; one that refuses is skipped
// (its clients go to another, none is lost) and logged; once it listens again it is back in
// rotation.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer } from './helpers/impls';
import { startRelayBin } from './helpers/cli';
import { settle } from './helpers/settle';

// A target that answers with its own name.
async function named(name: string, port = 0): Promise<net.Server> {
  const s = net.createServer((c) => c.end(name));
  s.listen(port, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

describe('overlapped relay: targets', () => {
  it('round-robin, skipping a target that refuses until it recovers', async () => {
    const a = await named('A');
    let b = await named('B');
    const bPort = portOf(b);
    const relay = await startRelayBin(['--target', `127.0.0.1:${portOf(a)}`, '--target', `127.0.0.1:${bPort}`, '--workers', '1']);
    try {
      const first = [await ask(relay.port), await ask(relay.port), await ask(relay.port), await ask(relay.port)];
      expect(first.sort()).toEqual(['A', 'A', 'B', 'B']);
      await closeServer(b); // B refuses from now on
      const during = [];
      for (let i = 0; i < 6; i++) during.push(await ask(relay.port));
      expect(during).toEqual(['A', 'A', 'A', 'A', 'A', 'A']); // no client lost
      const down = await relay.next('target-down', (e) => e.target === `127.0.0.1:${bPort}`);
      expect(down.reason).toBe('ECONNREFUSED');
      b = await named('B', bPort);
      // Skipped for its back-off (500 ms after one failure, doubled by each failure after
      // it: a slow run may have tried B again during the asks above), then tried again.
      // Every ask meanwhile is served, by A.
      const after: string[] = [];
      await settle(async () => {
        after.push(await ask(relay.port));
        return after.includes('B');
      }, 15_000, 100);
      expect(after.every((t) => t === 'A' || t === 'B')).toBe(true);
      expect(after).toContain('B');
      await relay.next('target-up', (e) => e.target === `127.0.0.1:${bPort}`);
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(a);
      await closeServer(b);
    }
  });

  it('every target down: the client is closed, the relay keeps running', async () => {
    const gone = await named('X');
    const port = portOf(gone);
    // The relay takes its port while `gone` holds this one (a port just freed could be it).
    const relay = await startRelayBin(['--target', `127.0.0.1:${port}`, '--workers', '1']);
    await closeServer(gone);
    const live = await named('L');
    try {
      const outcome = await ask(relay.port).then(
        (s) => `ended:${s}`,
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(['ended:', 'ECONNRESET']).toContain(outcome);
      await relay.next('no-target');
      expect(relay.child.exitCode).toBe(null);
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(live);
    }
  });
});
