// Windows (IOCP under Wine), driven from the Linux side: a connect that fails because no
// ephemeral port is left says so. Counterpart of test/connect-port-exhaustion.test.ts.
//
// The exhaustion is real: node.exe runs in a new network namespace (unshare -n, as root, as
// CI and development machines run) whose ip_local_port_range holds two ports, with a fresh
// wineserver started inside it (Wine's sockets are made by the wineserver, so it must be in
// the namespace). On Windows the failure comes from the bind ConnectEx needs: WSAENOBUFS;
// Wine passes Linux's EADDRINUSE through. Either must name the cause.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { HostCase, Wine } from './host-tools';

export const title = 'overlapped (IOCP): ephemeral port exhaustion';

export const cases: HostCase[] = [
  {
    name: 'the connect that finds no free local port names the cause',
    async run(wine: Wine) {
      const out = wine.outFile('port-exhaustion.txt');
      const child = wine.sh(
        [
          'unshare -n sh -c \'ip link set lo up',
          'sysctl -qw net.ipv4.ip_local_port_range="40000 40001"',
          `exec wine "${wine.nodeExe}" test/fixtures/port-exhaustion.cjs > "${out}" 2>&1'`,
        ].join(' && '),
      );
      try {
        assert.equal(await wine.exited(child, 60_000), 0, `fixture exit status (output: ${readFileSync(out, 'utf8')})`);
        const results = JSON.parse(readFileSync(out, 'utf8'));
        assert.equal(results.filter((r: { ok?: number }) => r.ok !== undefined).length, 2, 'two connections take the two ports');
        const failed = results.find((r: { code?: string }) => r.code !== undefined);
        assert.ok(['ENOBUFS', 'EADDRINUSE', 'EADDRNOTAVAIL'].includes(failed.code), `code ${failed.code}`);
        assert.equal(failed.syscall, 'connect');
        assert.match(failed.message, /^connect E[A-Z]+ 127\.0\.0\.1:5000 /);
        assert.match(failed.message, /no free local port/);
        return `${failed.message}`;
      } finally {
        await wine.stop(child);
      }
    },
  },
];
