// Cross-builds the addon for Windows x64 with mingw-w64 (Debian's g++-mingw-w64-x86-64-posix) into
// prebuilds/win32-x64/overlapped.napi.node, stripped, which node-gyp-build picks on Windows
// (`napi`: a Node-API build, for every Node version).
//
// The source list is binding.gyp's (common sources plus the OS=='win' condition), so there is
// one list, plus native/win/delay_load_hook.cc (below). Node-API comes from the
// node-api-headers package, whose def/node_api.def makes the import library for node.exe; the
// few libuv functions the IOCP backend uses (node.exe exports libuv too) get their own lines in
// the same .def. The C++ runtime is linked statically: the .node needs no DLL beyond Windows'
// own and the host executable.
//
// The import library is a delay-import one (dlltool -y), resolved through the hook in
// native/win/delay_load_hook.cc from whatever executable loaded the addon, as node-gyp does
// for MSVC builds: a plain import of "node.exe" fails to load under a renamed node.exe or in
// Electron (issue #13). binding.gyp does not list the hook because node-gyp on Windows adds
// its own; this script is the only build that needs it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = join(root, 'build-win');
mkdirSync(out, { recursive: true });

// binding.gyp is JSON once its '#' comment lines are dropped.
const gyp = JSON.parse(
  readFileSync(join(root, 'binding.gyp'), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n'),
);
const target = gyp.targets[0];
const win = target.conditions.find(([cond]) => cond === "OS=='win'")[1];
const sources = [...target.sources, ...win.sources, 'native/win/delay_load_hook.cc'].map((s) => join(root, s));
const defines = target.defines;

const napiHeaders = dirname(require.resolve('node-api-headers/package.json'));
const addonApi = require('node-addon-api').include_dir.replace(/"/g, '');
// libuv's headers (uv.h, uv/win.h) ship with every Node's headers, the host's included.
const uvInclude = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => {
  try {
    readFileSync(join(d, 'uv', 'win.h'));
    return true;
  } catch {
    return false;
  }
});
if (!uvInclude) throw new Error('build-windows: no uv/win.h found in the Node headers');

const uvFunctions = [
  'uv_async_init', 'uv_async_send', 'uv_close', 'uv_now', 'uv_ref', 'uv_unref',
  'uv_timer_init', 'uv_timer_start', 'uv_idle_init', 'uv_idle_start', 'uv_idle_stop',
];
const napiDef = readFileSync(join(napiHeaders, 'def', 'node_api.def'), 'utf8');
const def = napiDef.replace(/^NAME .*$/m, 'NAME node.exe').trimEnd() + '\n' + uvFunctions.map((f) => `    ${f}`).join('\n') + '\n';
writeFileSync(join(out, 'node.def'), def.startsWith('NAME') ? def : `NAME node.exe\n${def}`);
// -y: a delay-import library; its calls go through libmingwex's __delayLoadHelper2 and the hook.
// Run in build-win/ with a bare file name: dlltool names the delay descriptor's symbol after
// it (__DELAY_IMPORT_DESCRIPTOR_libnode_delay_a, which native/win/delay_load_hook.cc walks),
// so the name must not depend on where the checkout is.
execFileSync('x86_64-w64-mingw32-dlltool', ['-d', 'node.def', '-y', 'libnode-delay.a', '-D', 'node.exe'], { stdio: 'inherit', cwd: out });

const dest = join(root, 'prebuilds', 'win32-x64');
mkdirSync(dest, { recursive: true });
// One binary in the folder: an older build's overlapped.node (before the napi tag) would
// compete with this one in node-gyp-build's choice.
for (const f of readdirSync(dest)) if (f.endsWith('.node')) rmSync(join(dest, f));
const binary = join(dest, 'overlapped.napi.node');
const args = [
  '-shared', '-O2', '-std=c++17', '-Wall', '-Wextra', '-fno-exceptions',
  '-D_WIN32_WINNT=0x0A00', '-DWIN32_LEAN_AND_MEAN', '-DNOMINMAX',
  // addon.cc binds the delay-loaded imports at init (native/win/delay_load_hook.cc).
  '-DOVERLAPPED_DELAY_LOAD_HOOK',
  ...defines.map((d) => `-D${d}`),
  `-I${join(napiHeaders, 'include')}`, `-I${addonApi}`, `-I${uvInclude}`,
  ...sources,
  '-o', binary,
  // -s: stripped (about 300 KB instead of 850 KB).
  // -static: libstdc++, libgcc and winpthread inside the .node (Windows' DLLs stay imports).
  '-s', '-static', '-static-libgcc', '-static-libstdc++',
  join(out, 'libnode-delay.a'), '-lws2_32', '-lmswsock',
];
// The -posix flavour: its C++ runtime has std::mutex (the -win32 one does not).
execFileSync('x86_64-w64-mingw32-g++-posix', args, { stdio: 'inherit', cwd: root });
console.log(`built ${binary}`);
