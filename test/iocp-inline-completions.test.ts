// Windows only (the IOCP backend; on Linux there is no completion port to skip): sockets are
// set to FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, so sends, zero-byte reads, accepts and
// connects that succeed at once queue no completion packet and are completed by the backend
// itself on the next loop iteration. They must behave exactly like the ones that come
// through the port: every byte echoed in order, every write callback called once, in order.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { closeServer, listen, overlapped, pattern } from './helpers/impls';

describe.runIf(overlapped.backend === 'iocp')('overlapped (IOCP): synchronous successes completed inline', () => {
  it('are used, and lose or reorder nothing', async () => {
    const server = overlapped.createServer((s) => s.pipe(s));
    const port = await listen(server as never);
    const before = overlapped.stats().completionsInline;
    const client = overlapped.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const received: Buffer[] = [];
    client.on('data', (d: Buffer) => received.push(d));
    const sent: Buffer[] = [];
    const callbacks: number[] = [];
    // Small writes, one round trip at a time: each send fits the socket buffer and succeeds
    // at once, and each echo is there to read when the next zero-byte read is posted.
    for (let i = 0; i < 200; i++) {
      const msg = pattern(50 + (i % 200), i + 1);
      sent.push(msg);
      client.write(msg, () => callbacks.push(i));
      const want = sent.reduce((n, b) => n + b.length, 0);
      while (received.reduce((n, b) => n + b.length, 0) < want) await new Promise((r) => setImmediate(r));
    }
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
    expect(callbacks).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(overlapped.stats().completionsInline).toBeGreaterThan(before);
    client.end();
    await once(client, 'close');
    await closeServer(server as never);
  });
});
