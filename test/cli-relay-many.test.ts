// `overlapped relay` with thousands of connections at once: 2000 clients connect together, each
// sends its own payload and half-closes, and each gets exactly its payload back through the
// relay and an echo target; the relay then counts 2000 accepted, 2000 closed "ok", none open.
// Descriptors: 4000 in the relay, 4000 in this process (2000 clients, 2000 at the target),
// well below the 20000 open-file cap.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, pattern, sha256 } from './helpers/impls';
import { echoThrough, startRelayBin } from './helpers/cli';

const N = 2000;

describe('overlapped relay: many connections', () => {
  it(`relays ${N} concurrent connections, each its own payload back`, async () => {
    const target = net.createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
    target.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    await once(target, 'listening');
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', '1', '--stats=1']);
    try {
      const datas = Array.from({ length: N }, (_, i) => pattern(1 + ((i * 7919) % 20_000), i + 1));
      const got = await Promise.all(datas.map((d) => echoThrough(relay.port, d)));
      got.forEach((g, i) => expect(sha256(g)).toBe(sha256(datas[i])));
      const bytes = datas.reduce((n, d) => n + d.length, 0);
      const stats = await relay.next('stats', (e) => e.accepted === N && e.connections === 0);
      expect(stats.closed).toEqual({ ok: N });
      expect(stats.bytesUp).toBe(bytes);
      expect(stats.bytesDown).toBe(bytes);
    } finally {
      const code = await relay.stop();
      await closeServer(target);
      expect(code).toBe(0);
    }
  }, 120_000);
});
