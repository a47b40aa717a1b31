// A large message reaches 'data' in large chunks, as node:net's 64 KiB reads deliver it, not
// cut into pool-buffer pieces: an echo that sends each chunk back as it comes would otherwise
// leave a 64 KiB message in four writes, and with Nagle on (the default) the second waits for
// the peer's delayed ACK. And every chunk handed to JS stays intact for as long as the program
// keeps it, whatever arrives after it (chunks are views into memory shared by a batch).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, overlapped, pattern } from './helpers/impls';

const MESSAGE = 64 * 1024;
const ROUNDS = 20;

describe.each(impls)('%s: large reads', (name, net) => {
  it('delivers a 64 KiB message in chunks larger than a pool buffer, and keeps every chunk intact', async () => {
    const serverChunks: Buffer[] = [];
    const server = net.createServer((s: Socket) => {
      s.on('data', (d: Buffer) => {
        serverChunks.push(d); // kept, unread, until the end
        s.write(d);
      });
      s.on('end', () => s.end());
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const received: Buffer[] = [];
    let have = 0;
    let wake: (() => void) | undefined;
    client.on('data', (d: Buffer) => {
      received.push(d);
      have += d.length;
      wake?.();
    });
    const sent: Buffer[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const msg = pattern(MESSAGE, i + 3);
      sent.push(msg);
      client.write(msg); // one message in flight at a time, as the benchmark's bulk scenario
      const want = (i + 1) * MESSAGE;
      while (have < want) await new Promise<void>((r) => (wake = r));
    }
    client.end();
    await once(client, 'close');
    await closeServer(server);

    const all = Buffer.concat(sent);
    expect(Buffer.concat(received).equals(all)).toBe(true);
    expect(Buffer.concat(serverChunks).equals(all)).toBe(true);
    const largest = Math.max(...serverChunks.map((c) => c.length));
    const st = overlapped.stats();
    // What the pool's buffers were made with (the node backend has no pool; its reads are
    // node:net's, compared with the same size).
    const poolBuffer = overlapped.configure().recvBufferSize;
    expect(largest).toBeGreaterThan(poolBuffer);
    expect(largest).toBeLessThanOrEqual(name === 'overlapped' ? st.maxReadBytes : 64 * 1024);
  });
});
