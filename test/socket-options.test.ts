// Socket options reach the kernel: setKeepAlive(true, delay) arms TCP keep-alive with that
// idle time, read back from the kernel's own socket table with `ss -o` (iproute2; Linux only,
// where the kernel reports the keep-alive timer). setTimeout() emits 'timeout' after
// inactivity, as node:net's.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

// The connection's own line, found by both ports: a local port alone is not unique, since
// the kernel reuses an ephemeral port for connections to other destinations, and a test
// running beside this one (a flood client with a zero window, say) can hold the same one.
function ssLine(localPort: number, remotePort: number): string {
  return execFileSync('ss', ['-tno', 'state', 'established', `( sport = :${localPort} and dport = :${remotePort} )`]).toString();
}

function keepaliveTimer(localPort: number, remotePort: number): string {
  return /timer:\((\w+),/.exec(ssLine(localPort, remotePort))?.[1] ?? 'none';
}

describe.each(impls)('%s: socket options', (_name, net) => {
  it.runIf(process.platform === 'linux')('setKeepAlive arms the kernel keep-alive timer; off disarms it', async () => {
    const server = net.createServer(() => {});
    const port = await listen(server);
    const c = net.connect(port, '127.0.0.1');
    await once(c, 'connect');
    expect(keepaliveTimer(c.localPort!, port)).toBe('none');
    c.setKeepAlive(true, 30_000);
    expect(keepaliveTimer(c.localPort!, port)).toBe('keepalive');
    const out = ssLine(c.localPort!, port);
    const secs = Number(/timer:\(keepalive,(\d+)sec/.exec(out)?.[1]);
    expect(secs).toBeGreaterThan(20);
    expect(secs).toBeLessThanOrEqual(30);
    c.setKeepAlive(false);
    expect(keepaliveTimer(c.localPort!, port)).toBe('none');
    expect(c.setNoDelay(true)).toBe(c);
    c.destroy();
    await closeServer(server);
  });

  it('setTimeout emits timeout after inactivity and can be cleared', async () => {
    let serverSide: Socket | undefined;
    const server = net.createServer((s) => {
      serverSide = s;
    });
    const port = await listen(server);
    const c = net.connect(port, '127.0.0.1');
    await once(c, 'connect');
    const started = Date.now();
    c.setTimeout(100);
    expect(c.timeout).toBe(100);
    await once(c, 'timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(c.destroyed).toBe(false); // a timeout only notifies, as in node:net
    let fired = false;
    c.setTimeout(50, () => (fired = true));
    c.setTimeout(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).toBe(false);
    c.destroy();
    serverSide?.destroy();
    await closeServer(server);
  });
});
