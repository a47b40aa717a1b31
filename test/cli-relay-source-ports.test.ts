// `overlapped relay --source`: more relayed connections to one target than one source address
// has ports. In a new network namespace (unshare -n, as root: Linux only, as the CI and
// development machines run) whose ephemeral port range holds 10 ports, two source addresses
// carry 20 connections to the target, and the ones past that are closed with the exhaustion
// logged by name, while the relay keeps running.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe.runIf(process.platform === 'linux')('overlapped relay: source addresses and ports', () => {
  it('two source addresses carry twice the ports of one; exhaustion is named, not a crash', async () => {
    const script = [
      'ip link set lo up',
      'sysctl -qw net.ipv4.ip_local_port_range="40000 40009"',
      `exec "${process.execPath}" "${path.join(__dirname, 'fixtures', 'relay-source-ports.cjs')}"`,
    ].join(' && ');
    const { stdout } = await run('unshare', ['-n', 'sh', '-c', script], { cwd: path.join(__dirname, '..'), env: process.env });
    const r = JSON.parse(stdout) as { outcomes: string[]; alive: boolean; exit: number; events: Array<Record<string, unknown>> };
    expect(r.outcomes.filter((o) => o === 'echoed')).toHaveLength(20);
    expect(r.outcomes.filter((o) => o === 'closed')).toHaveLength(4);
    expect(r.alive).toBe(true);
    expect(r.exit).toBe(0);
    const exhausted = r.events.filter((e) => e.event === 'source-ports-exhausted');
    expect(exhausted.length).toBeGreaterThanOrEqual(4);
    expect(['EADDRNOTAVAIL', 'EADDRINUSE']).toContain(exhausted[0].code);
    // Ports running out is not the target's fault: it stays in rotation.
    expect(r.events.some((e) => e.event === 'target-down')).toBe(false);
  });
});
