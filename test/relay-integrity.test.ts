// relay(a, b): every byte each way arrives, in order and intact (checksummed), with the counts
// relay() reports; between overlapped sockets of a native backend the bytes move inside the
// addon (stats().relayBytesForwarded), not through JS. Sizes from nothing to several MiB each
// way, both directions at once.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, overlapped, pattern, sha256 } from './helpers/impls';
import { exchange, startRelay } from './helpers/relay';

const MiB = 1024 * 1024;

// A target that sends its own pattern and checks what it receives, both at once.
function target(reply: (size: number) => Buffer, got: (sum: string, n: number) => void): net.Server {
  return net.createServer({ allowHalfOpen: true }, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      const all = Buffer.concat(chunks);
      got(sha256(all), all.length);
    });
    s.end(reply(0));
  });
}

describe('relay(): integrity both ways', () => {
  it.each([
    [0, 0],
    [1, 5],
    [65536 + 7, 3 * 65536 - 1],
    [8 * MiB, 6 * MiB + 13],
  ])('%i bytes up, %i down', async (up, down) => {
    const upData = pattern(up, 7 + up);
    const downData = pattern(down, 11 + down);
    let targetGot: (v: [string, number]) => void = () => {};
    const targetDone = new Promise<[string, number]>((resolve) => (targetGot = resolve));
    const t = target(
      () => downData,
      (sum, n) => targetGot([sum, n]),
    );
    t.listen(0, '127.0.0.1');
    await once(t, 'listening');
    const relay = await startRelay(t);
    const before = overlapped.stats().relayBytesForwarded;
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
      const received = await exchange(client, upData);
      expect(received.length).toBe(down);
      expect(sha256(received)).toBe(sha256(downData));
      const result = await relay.settled[0];
      expect(result).toEqual({ aToB: up, bToA: down });
      const [targetSum, targetLen] = await targetDone;
      expect(targetLen).toBe(up);
      expect(targetSum).toBe(sha256(upData));
      if (overlapped.backend !== 'node' && up + down > 4 * MiB) {
        // Only what a socket had read before its link (a read or two) went through JS.
        expect(overlapped.stats().relayBytesForwarded - before).toBeGreaterThan(up + down - 4 * 65536);
      }
      if (!client.closed) await once(client, 'close');
      // Both of the relay's sockets closed once both directions were done.
      for (const s of relay.sockets[0]) expect(s.destroyed).toBe(true);
      expect(overlapped.stats().relayLinks).toBe(0);
      expect(overlapped.stats().relayBytesQueued).toBe(0);
    } finally {
      await relay.close();
      await closeServer(t);
    }
  });
});
