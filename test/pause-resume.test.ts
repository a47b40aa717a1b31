// Pausing a socket stops 'data' without losing bytes: everything sent while paused arrives,
// in order, after resume(). The sender sees back-pressure meanwhile.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, pattern } from './helpers/impls';

describe.each(impls)('%s: pause/resume', (_name, net) => {
  it('keeps every byte across pauses', async () => {
    const payload = pattern(8 * 1024 * 1024, 99);
    const server = net.createServer((s: Socket) => {
      s.end(payload);
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let dataWhilePaused = 0;
    let paused = false;
    client.on('data', (d: Buffer) => {
      if (paused) dataWhilePaused++;
      chunks.push(d);
      // Pause every so often and resume later.
      if (chunks.length % 16 === 0) {
        client.pause();
        paused = true;
        setTimeout(() => {
          paused = false;
          client.resume();
        }, 5);
      }
    });
    await once(client, 'end');
    const got = Buffer.concat(chunks);
    expect(dataWhilePaused).toBe(0);
    expect(got.length).toBe(payload.length);
    expect(got.equals(payload)).toBe(true);
    await closeServer(server);
  });

  it('a paused socket fills to its high water mark and the writer sees back-pressure', async () => {
    let serverSocket: Socket | undefined;
    const server = net.createServer((s: Socket) => {
      serverSocket = s;
      s.pause();
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const block = Buffer.alloc(64 * 1024, 7);
    let writes = 0;
    // Write until the stream says stop: the paused reader must push back eventually.
    while (client.write(block)) {
      writes++;
      if (writes > 10_000) break;
      await new Promise((r) => setImmediate(r));
    }
    expect(writes).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSocket!.readableLength).toBeGreaterThan(0);
    const total = (writes + 1) * block.length;
    let received = 0;
    serverSocket!.on('data', (d: Buffer) => {
      received += d.length;
    });
    serverSocket!.resume();
    client.end();
    await once(serverSocket!, 'end');
    expect(received).toBe(total);
    await closeServer(server);
  });
});
