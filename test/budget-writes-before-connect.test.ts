// Bytes written before a socket has connected count against the write budget while they
// wait, and stop counting once the kernel has them. When the connect's first send took them
// all at once, the budget was never told, so the socket kept a stale queue: past the budget
// it stayed paused for good, and with both ends in one process (a client paused for a queue
// it no longer had, a server whose echo that client therefore never read) every connection
// hung. Here 300 clients write 1 to 19 KiB each before connecting, about 3 MB in all, against a
// 1 MiB budget; every echo must come back whole and the budget's count return to zero.
// 300 clients + 300 accepted sockets stay far under the 20000 open-file limit.
import { describe, expect, it } from 'vitest';
import { closeServer, listen, overlapped, pattern, readAll } from './helpers/impls';

const CONNECTIONS = 300;

describe('overlapped: writes made before connecting, and the write budget', () => {
  it('a write taken whole at connect leaves no queued bytes on the books', async () => {
    const server = overlapped.createServer((s) => s.pipe(s));
    const port = await listen(server as never);
    try {
      const before = overlapped.stats().queuedBytes;
      const payload = pattern(64 * 1024, 7);
      const client = overlapped.connect(port, '127.0.0.1');
      const received = readAll(client as never);
      client.write(payload); // queued: the socket is still connecting
      expect(overlapped.stats().queuedBytes).toBe(before + payload.length);
      await new Promise<void>((resolve) => client.once('connect', () => setImmediate(resolve)));
      expect(client.writableLength).toBe(0);
      expect(overlapped.stats().queuedBytes).toBe(before);
      client.end();
      expect((await received).equals(payload)).toBe(true);
    } finally {
      await closeServer(server as never);
    }
  });

  it(`${CONNECTIONS} clients writing past the budget before connecting all get their echo`, async () => {
    const saved = overlapped.stats().writeBudget;
    const pausesBefore = overlapped.stats().budgetPauses; // a process-wide count
    overlapped.configure({ writeBudget: 1024 * 1024 });
    const server = overlapped.createServer((s) => s.pipe(s));
    const port = await listen(server as never, '127.0.0.1', 2 * CONNECTIONS);
    try {
      let written = 0;
      const results = await Promise.all(
        Array.from({ length: CONNECTIONS }, async (_, i) => {
          const payload = pattern(1024 + (i % 7) * 3001, i + 1);
          written += payload.length;
          const client = overlapped.connect(port, '127.0.0.1');
          const received = readAll(client as never);
          client.write(payload.subarray(0, 100));
          client.end(payload.subarray(100));
          return (await received).equals(payload);
        }),
      );
      expect(written).toBeGreaterThan(2 * 1024 * 1024); // twice the budget, as meant
      expect(overlapped.stats().budgetPauses).toBeGreaterThan(pausesBefore); // and the budget acted
      expect(results.filter((ok) => !ok)).toHaveLength(0);
      expect(overlapped.stats().queuedBytes).toBe(0);
      expect(overlapped.stats().socketsPausedForBudget).toBe(0);
    } finally {
      await closeServer(server as never);
      overlapped.configure({ writeBudget: saved });
    }
  });
});
