// `overlapped relay` end to end: concurrent connections relayed to an echo target and
// checked both ways, on one process and on two workers sharing the port; the stats line; the
// metrics endpoint; SIGTERM letting open connections finish before exit 0.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, pattern, sha256 } from './helpers/impls';
import { echoThrough, get, startRelayBin } from './helpers/cli';

async function echoTarget(): Promise<net.Server> {
  const s = net.createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

describe('overlapped relay', () => {
  // Two workers share the port through SO_REUSEPORT: Linux's native backends only (elsewhere
  // the command runs one process, and says so).
  const workerCounts = process.platform === 'linux' && process.env.OVERLAPPED_BACKEND !== 'node' ? [1, 2] : [1];
  it.each(workerCounts)('relays 50 concurrent connections intact with %i worker(s)', async (workers) => {
    const target = await echoTarget();
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', String(workers)]);
    try {
      expect((await relay.next('listening')).workers).toBe(workers);
      const datas = Array.from({ length: 50 }, (_, i) => pattern(64 * 1024 + i * 997, i + 1));
      const got = await Promise.all(datas.map((d) => echoThrough(relay.port, d)));
      got.forEach((g, i) => expect(sha256(g)).toBe(sha256(datas[i])));
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(target);
    }
  });

  it('reports stats and serves /metrics', async () => {
    const target = await echoTarget();
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const metricsPort = (probe.address() as net.AddressInfo).port;
    await closeServer(probe);
    const relay = await startRelayBin([
      '--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`,
      '--workers', '1', '--stats=1', '--metrics', `127.0.0.1:${metricsPort}`,
    ]);
    try {
      await relay.next('metrics');
      await echoThrough(relay.port, pattern(100_000, 3));
      await echoThrough(relay.port, pattern(20_000, 4));
      const stats = await relay.next('stats', (e) => e.accepted === 2 && e.connections === 0);
      expect(stats.bytesUp).toBe(120_000);
      expect(stats.bytesDown).toBe(120_000);
      const text = await get(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(text).toContain('overlapped_relay_accepted_total 2');
      expect(text).toContain('overlapped_relay_bytes_total{direction="up"} 120000');
      expect(text).toContain('overlapped_relay_bytes_total{direction="down"} 120000');
      expect(text).toContain('overlapped_relay_closed_total{how="ok"} 2');
      expect(text).toMatch(/overlapped_relay_target_up\{target="127\.0\.0\.1:\d+"\} 1/);
      // The reads and sends that moved the bytes: none on the node backend, whose relay()
      // moves bytes through JS; elsewhere at least one send per direction and connection,
      // and reads of at most 64 KiB each.
      const count = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
      const reads = count('overlapped_relay_reads_total');
      const sends = count('overlapped_relay_sends_total');
      if ((await relay.next('listening')).backend === 'node') {
        expect([reads, sends]).toEqual([0, 0]);
      } else {
        expect(reads).toBeGreaterThanOrEqual(Math.ceil(240_000 / 65536));
        expect(sends).toBeGreaterThanOrEqual(4);
      }
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(target);
    }
  });

  it('SIGTERM: stops accepting, lets an open connection finish, exits 0', async () => {
    const target = await echoTarget();
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', '1', '--drain-timeout', '10000']);
    try {
      const c = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
      const chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => chunks.push(d));
      c.write('before ');
      while (Buffer.concat(chunks).length < 7) await new Promise((r) => setTimeout(r, 10));
      relay.child.kill('SIGTERM');
      await relay.next('draining');
      // A new connection is no longer taken.
      const late = net.connect({ port: relay.port, host: '127.0.0.1' });
      const lateOutcome = await new Promise<string>((resolve) => {
        late.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        late.on('close', () => resolve('closed'));
      });
      expect(['ECONNREFUSED', 'ECONNRESET', 'closed']).toContain(lateOutcome);
      // The open one still works, and the relay waits for it.
      c.end('after');
      await once(c, 'end');
      expect(Buffer.concat(chunks).toString()).toBe('before after');
      expect(await relay.exited).toBe(0);
      c.destroy();
    } finally {
      await relay.stop();
      await closeServer(target);
    }
  });
});
