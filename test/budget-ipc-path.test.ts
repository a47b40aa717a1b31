// A Socket connected to an IPC path (a Unix socket; a named pipe on Windows) writes through a
// node:net socket underneath (lib/socket.ts). Its writes count against the write budget while
// they wait, as a TCP socket's do, and must stop counting once node:net has written them:
// a count left behind keeps the total up, and past the budget keeps the socket paused.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nodeNet from 'node:net';
import { overlapped, pattern, readAll } from './helpers/impls';

const where =
  process.platform === 'win32'
    ? `\\\\?\\pipe\\overlapped-budget-${process.pid}`
    : path.join(os.tmpdir(), `overlapped-budget-${process.pid}.sock`);

describe('overlapped: writes to an IPC path and the write budget', () => {
  it('a written chunk leaves the budget once node:net has written it', async () => {
    const server = nodeNet.createServer((c) => c.pipe(c));
    server.listen(where);
    await once(server, 'listening');
    const s = new overlapped.Socket();
    try {
      const before = overlapped.stats().queuedBytes;
      s.connect(where);
      await once(s, 'connect');
      const received = readAll(s as never);
      const payload = pattern(256 * 1024, 3);
      await new Promise<void>((resolve, reject) => s.write(payload, (err?: Error | null) => (err ? reject(err) : resolve())));
      expect(s.writableLength).toBe(0);
      expect(overlapped.stats().queuedBytes).toBe(before);
      s.end();
      expect((await received).equals(payload)).toBe(true);
    } finally {
      s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
