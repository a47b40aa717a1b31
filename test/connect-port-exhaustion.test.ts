// A connection that fails because no ephemeral port is left (EADDRNOTAVAIL) says so in its
// message. The exhaustion is made real, not simulated: the fixture runs in a new network
// namespace (unshare -n, as root) whose net.ipv4.ip_local_port_range holds two ports.
// Linux only (network namespaces); needs root, as the CI and development machines run.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe.runIf(process.platform === 'linux')('overlapped: ephemeral port exhaustion', () => {
  it('EADDRNOTAVAIL names the cause', async () => {
    const script = [
      'ip link set lo up',
      'sysctl -qw net.ipv4.ip_local_port_range="40000 40001"',
      `exec "${process.execPath}" "${path.join(__dirname, 'fixtures', 'port-exhaustion.cjs')}"`,
    ].join(' && ');
    const { stdout } = await run('unshare', ['-n', 'sh', '-c', script], { cwd: path.join(__dirname, '..') });
    const results = JSON.parse(stdout) as Array<{ ok?: number; code?: string; message?: string; syscall?: string }>;
    expect(results.filter((r) => r.ok !== undefined)).toHaveLength(2);
    const failed = results.find((r) => r.code !== undefined)!;
    expect(failed.code).toBe('EADDRNOTAVAIL');
    expect(failed.syscall).toBe('connect');
    expect(failed.message).toMatch(/^connect EADDRNOTAVAIL 127\.0\.0\.1:5000 /);
    expect(failed.message).toContain('ephemeral port range is exhausted');
  });
});
