// Windows (IOCP under Wine), driven from the Linux side: the addon loads in a host executable
// that is not called node.exe (issue #13). A renamed node.exe stands for Electron or an app
// that embeds Node: it exports Node-API as node.exe does, under another module name. An addon
// that imports Node-API from "node.exe" by name fails to load there (Windows looks for a
// node.exe to load; the package falls back to its node backend); ours resolves its imports
// from the running executable (native/win/delay_load_hook.cc).
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { waitForJsonLine, type HostCase, type Wine } from './host-tools';

export const title = 'overlapped (IOCP): the addon loads in a renamed node.exe';

export const cases: HostCase[] = [
  {
    name: "in host-app.exe (a copy of node.exe), backend 'iocp', and bytes echo intact over loopback",
    async run(wine: Wine) {
      // In test/.win/, beside the bundles (scripts/test-windows.mjs empties it each run). No
      // node.exe is there: Windows would find one in the executable's own folder first.
      const exe = wine.outFile('host-app.exe');
      copyFileSync(wine.nodeExe, exe);
      const out = wine.outFile('renamed-node.txt');
      const child = wine.sh(`wine "${exe}" test/fixtures/renamed-node-echo.cjs > "${out}" 2>&1`);
      try {
        const result = await waitForJsonLine(out, child, 120_000);
        const output = existsSync(out) ? readFileSync(out, 'utf8') : '(no output)';
        assert.ok(result, `the fixture printed its result:\n${output}`);
        assert.match(String(result.execPath), /host-app\.exe$/i, 'it ran in the renamed executable');
        assert.equal(result.backend, 'iocp', `the addon loaded (backend 'iocp'):\n${output}`);
        assert.equal(result.echoed, result.sent, 'every byte came back');
        assert.equal(result.intact, true, 'the bytes came back unchanged');
        assert.equal(await wine.exited(child, 30_000), 0, 'host-app.exe exits on its own');
        return `${result.echoed} bytes echoed`;
      } finally {
        await wine.stop(child);
      }
    },
  },
];
