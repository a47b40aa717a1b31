// `npm run prebuilds`: every binary the package ships, built on this Linux machine, into
// prebuilds/<platform>-<arch>/ under the names node-gyp-build matches (and lib/binding.ts,
// which falls through to them when a local build cannot load):
//
//   linux-x64/overlapped.napi.glibc.node    node-gyp, the host's g++
//   linux-arm64/overlapped.napi.glibc.node  node-gyp --arch=arm64, Debian's aarch64-linux-gnu-g++
//   win32-x64/overlapped.napi.node          scripts/build-windows.mjs, mingw-w64
//
// `napi`: built against Node-API, so one binary serves every Node version from 20 on.
// `glibc`: node-gyp-build skips it on a musl system (Alpine), where it could not load; there
// the package builds from source or runs on its node backend. The Linux binaries import
// nothing newer than glibc 2.17 (2.14 on x64) and GCC 5's libstdc++
// (native/unix/libstdcxx_compat.cc; this script checks), so they load wherever Node 20's own
// binaries run (glibc 2.28); they are stripped.
//
// Each Linux build runs in its own folder (build-prebuild-<arch>/, ignored by git), so the
// developer's build/ is left as it was. One target may be built alone: `npm run prebuilds --
// linux-arm64`. Needs: g++-aarch64-linux-gnu and g++-mingw-w64-x86-64-posix (.ci/run
// installs them).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');

// The headers of the Node that runs this (its prefix holds include/node; npm's nodedir setting
// wins), so nothing is downloaded: Node-API's headers do not depend on the architecture.
const nodedir = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].find(
  (d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')),
);
if (!nodedir) throw new Error('prebuilds: no Node headers (include/node/node_api.h) beside this node; set npm_config_nodedir');

const linux = {
  'linux-x64': { arch: 'x64', prefix: '' },
  'linux-arm64': { arch: 'arm64', prefix: 'aarch64-linux-gnu-' },
};
const all = [...Object.keys(linux), 'win32-x64'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : all;
for (const t of wanted) if (!all.includes(t)) throw new Error(`prebuilds: unknown target ${t} (known: ${all.join(', ')})`);

const compare = (a, b) => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};
// The newest symbol version a Linux binary imports from glibc and libstdc++, each held to a
// limit: one newer import keeps the binary off every system older than it.
const IMPORT_LIMITS = { GLIBC: '2.17', GLIBCXX: '3.4.21', CXXABI: '1.3.9' };
function checkImports(file, prefix, target) {
  const table = execFileSync(`${prefix}objdump`, ['-T', file]).toString();
  for (const [kind, max] of Object.entries(IMPORT_LIMITS)) {
    const found = [...table.matchAll(new RegExp(`\\(${kind}_([0-9.]+)\\)`, 'g'))].map((m) => m[1]);
    const newest = found.sort(compare).pop();
    if (newest && compare(newest, max) > 0) throw new Error(`prebuilds: ${target} imports ${kind}_${newest}, newer than ${kind}_${max}`);
    console.log(`${target}: newest ${kind} import ${newest ?? 'none'} (limit ${max})`);
  }
}

function sh(cmd, args, opts = {}) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

// Only the named file is left in a target's folder: two .node files there would compete.
function place(file, target, name) {
  const dir = join(root, 'prebuilds', target);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.node') && f !== name) rmSync(join(dir, f));
  copyFileSync(file, join(dir, name));
  console.log(`prebuilds/${target}/${name}: ${Math.round(statSync(join(dir, name)).size / 1024)} KiB`);
}

for (const target of wanted.filter((t) => t in linux)) {
  const { arch, prefix } = linux[target];
  // A folder that looks like the package to node-gyp: binding.gyp and native/ linked in, and
  // node_modules for binding.gyp's node-addon-api include.
  const dir = join(root, `build-prebuild-${arch}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const f of ['binding.gyp', 'native', 'node_modules']) symlinkSync(join(root, f), join(dir, f));
  const env = {
    ...process.env,
    CC: `${prefix}gcc`,
    CXX: `${prefix}g++`,
    // native/unix/libstdcxx_compat.cc: no import newer than GCC 5's libstdc++.
    CXXFLAGS: '-DOVERLAPPED_PORTABLE',
  };
  sh(process.execPath, [nodeGyp, 'rebuild', `--arch=${arch}`, '--release', `--nodedir=${nodedir}`], { cwd: dir, env });
  const built = join(dir, 'build', 'Release', 'overlapped.node');
  sh(`${prefix}strip`, ['--strip-unneeded', built]);
  checkImports(built, prefix, target);
  place(built, target, 'overlapped.napi.glibc.node');
}

if (wanted.includes('win32-x64')) sh(process.execPath, [join(root, 'scripts', 'build-windows.mjs')]);
