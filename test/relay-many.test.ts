// Thousands of relayed connections at once, each echoed through the relay and checked. 2000
// connections hold 8000 descriptors in this process (client, accepted, upstream, target side):
// below the 20000 open files a process may have on the CI machines.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, overlapped, pattern } from './helpers/impls';
import { startRelay } from './helpers/relay';

const CONNECTIONS = 2000;

describe('relay(): many connections', () => {
  it(`relays ${CONNECTIONS} concurrent connections, every byte back`, async () => {
    const target = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    target.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    await once(target, 'listening');
    const relay = await startRelay(target);
    try {
      const results = await Promise.all(
        Array.from({ length: CONNECTIONS }, (_, i) => {
          const data = pattern(1024 + (i % 7), i + 1);
          return new Promise<boolean>((resolve, reject) => {
            const c = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
            const chunks: Buffer[] = [];
            c.on('data', (d: Buffer) => chunks.push(d));
            c.on('end', () => {
              resolve(Buffer.concat(chunks).equals(data));
              c.destroy();
            });
            c.on('error', reject);
            // Held open until every connection is up: they are all relayed at once.
            c.once('connect', () => setTimeout(() => c.end(data), 100));
          });
        }),
      );
      expect(results.filter((ok) => !ok).length).toBe(0);
      const outcomes = await Promise.all(relay.settled);
      expect(outcomes.length).toBe(CONNECTIONS);
      for (const o of outcomes) expect(o.aToB).toBe(o.bToA);
      expect(overlapped.stats().relayLinks).toBe(0);
    } finally {
      await relay.close();
      await closeServer(target);
    }
  });
});
