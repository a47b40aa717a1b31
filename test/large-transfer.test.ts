// 64 MiB through one connection and back, verified by SHA-256 on both sides: long runs of
// pool buffers, short sends and back-pressure must neither lose nor reorder a byte.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen, pattern, sha256 } from './helpers/impls';

const TOTAL = 64 * 1024 * 1024;
const CHUNK = 256 * 1024;

describe.each(impls)('%s: large transfer', (_name, net) => {
  it('moves 64 MiB each way intact', async () => {
    let serverHash = '';
    const server = net.createServer((s: Socket) => {
      const h = require('node:crypto').createHash('sha256');
      s.on('data', (d: Buffer) => h.update(d));
      s.on('end', () => {
        serverHash = h.digest('hex');
      });
      s.pipe(s);
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');

    const chunks: Buffer[] = [];
    for (let off = 0, i = 0; off < TOTAL; off += CHUNK, i++) chunks.push(pattern(CHUNK, i + 7));
    const sentHash = sha256(chunks);

    const h = require('node:crypto').createHash('sha256');
    let received = 0;
    client.on('data', (d: Buffer) => {
      received += d.length;
      h.update(d);
    });
    const ended = once(client, 'end');
    // Respect back-pressure the way a careful writer does.
    for (const c of chunks) {
      if (!client.write(c)) await once(client, 'drain');
    }
    client.end();
    await ended;
    expect(received).toBe(TOTAL);
    expect(h.digest('hex')).toBe(sentHash);
    expect(serverHash).toBe(sentHash);
    await closeServer(server);
  });
});
