// Cross-builds the addon for Windows x64 with mingw-w64 (Debian's g++-mingw-w64-x86-64-posix) into
// prebuilds/win32-x64/overlapped.node, which node-gyp-build picks on Windows.
//
// The source list is binding.gyp's (common sources plus the OS=='win' condition), so there is
// one list. Node-API comes from the node-api-headers package, whose def/node_api.def makes the
// import library for node.exe; the few libuv functions the IOCP backend uses (node.exe
// exports libuv too) get their own lines in the same .def. The C++ runtime is linked
// statically: the .node needs no DLL beyond Windows' own and node.exe.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const sources = [...target.sources, ...win.sources].map((s) => join(root, s));
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
execFileSync('x86_64-w64-mingw32-dlltool', ['-d', join(out, 'node.def'), '-l', join(out, 'libnode.a'), '-D', 'node.exe'], { stdio: 'inherit' });

const dest = join(root, 'prebuilds', 'win32-x64');
mkdirSync(dest, { recursive: true });
const args = [
  '-shared', '-O2', '-std=c++17', '-Wall', '-Wextra', '-fno-exceptions',
  '-D_WIN32_WINNT=0x0A00', '-DWIN32_LEAN_AND_MEAN', '-DNOMINMAX',
  ...defines.map((d) => `-D${d}`),
  `-I${join(napiHeaders, 'include')}`, `-I${addonApi}`, `-I${uvInclude}`,
  ...sources,
  '-o', join(dest, 'overlapped.node'),
  // -static: libstdc++, libgcc and winpthread inside the .node (Windows' DLLs stay imports).
  '-static', '-static-libgcc', '-static-libstdc++',
  join(out, 'libnode.a'), '-lws2_32', '-lmswsock',
];
// The -posix flavour: its C++ runtime has std::mutex (the -win32 one does not).
execFileSync('x86_64-w64-mingw32-g++-posix', args, { stdio: 'inherit', cwd: root });
console.log(`built ${join(dest, 'overlapped.node')}`);
