// `npm run test:package`: the package as a user installs it, on a machine with no compiler.
//
//  1. Builds every prebuild (scripts/prebuilds.mjs) and packs the tarball (npm pack).
//  2. Checks what the tarball holds: the three prebuilds, the JS and its types, the sources
//     for a build from source, the docs and the recipes' programs, LICENSE; none of the project's tests, benchmarks or
//     build scripts.
//  3. Lints it: publint (package.json against what is packed) and are-the-types-wrong (the
//     types resolve for require and import under every module resolution); and runs the
//     prepublishOnly check (scripts/check-prebuilds.mjs).
//  4. Installs it in a scratch project with --ignore-scripts, with a PATH that holds node, npm
//     and sh and no compiler, make or python, then runs its install script there (which must
//     find the prebuild and build nothing). Before and after, a smoke program
//     (test/fixtures/package-smoke.mjs: ESM import, a native backend, a 1 MiB echo checked
//     byte for byte, stats(), relay()) runs from the install, and the bin answers --help.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let failed = 0;
function check(ok, what) {
  console.log(`${ok ? '  ✔' : '  ✖'} ${what}`);
  if (!ok) failed++;
}
function sh(cmd, args, opts = {}) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  return execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
}

// 1. Prebuilds and the tarball.
sh(process.execPath, [join(root, 'scripts', 'prebuilds.mjs')]);
sh('npm', ['run', 'build:ts']);
const work = mkdtempSync(join(tmpdir(), 'overlapped-package-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true })); // on a throw too
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString(),
)[0];
const tgz = join(work, packed.filename);
const files = packed.files.map((f) => f.path);
console.log(`\n${packed.filename}: ${files.length} files, ${Math.round(packed.size / 1024)} KiB packed, ${Math.round(packed.unpackedSize / 1024)} KiB unpacked`);

// 2. What it holds.
console.log('\nContents:');
for (const f of [
  'prebuilds/linux-x64/overlapped.napi.glibc.node',
  'prebuilds/linux-arm64/overlapped.napi.glibc.node',
  'prebuilds/win32-x64/overlapped.napi.node',
  'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs', 'dist/esm/index.d.mts', 'dist/cjs/cli/main.js',
  'binding.gyp', 'native/addon.cc', 'scripts/install.mjs',
  'README.md', 'LICENSE', 'CHANGELOG.md', 'docs/api.md', 'docs/recipes.md', 'examples/http-server.mjs',
]) check(files.includes(f), `has ${f}`);
const stray = files.filter((f) => /^(test|bench|\.ci|build|build-[^/]*)\//.test(f) || (f.startsWith('scripts/') && f !== 'scripts/install.mjs'));
check(stray.length === 0, `nothing of the project's own tests, benchmarks or build scripts${stray.length ? `: ${stray.join(', ')}` : ''}`);
check(files.filter((f) => f.endsWith('.node')).length === 3, 'exactly three .node binaries');

// 3. Lints, and the check npm runs before a publish (scripts/check-prebuilds.mjs).
console.log('\nLints:');
check(spawnSync(process.execPath, [join(root, 'scripts', 'check-prebuilds.mjs')], { stdio: 'inherit' }).status === 0, 'prepublishOnly: every prebuild there, newer than the sources');
const bin = (name) => join(root, 'node_modules', '.bin', name);
check(spawnSync(bin('publint'), ['--strict', root], { stdio: 'inherit' }).status === 0, 'publint --strict');
check(spawnSync(bin('attw'), [tgz], { stdio: 'inherit' }).status === 0, 'are-the-types-wrong');

// 4. Installs with no compiler on PATH.
const tools = join(work, 'bin');
mkdirSync(tools);
const which = (name) => execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim();
symlinkSync(process.execPath, join(tools, 'node'));
symlinkSync(which('npm'), join(tools, 'npm'));
symlinkSync(which('sh'), join(tools, 'sh'));
const env = { ...process.env, PATH: tools };
for (const k of ['OVERLAPPED_BACKEND', 'OVERLAPPED_PREFER_BACKEND', 'OVERLAPPED_REQUIRE_NATIVE', 'CC', 'CXX', 'PREBUILDS_ONLY']) delete env[k];
for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k]; // this run's own npm settings
const absent = spawnSync('/bin/sh', ['-c', 'command -v cc gcc g++ c++ make python3'], { env, encoding: 'utf8' });
check(absent.stdout.trim() === '', `no compiler, make or python3 on the install's PATH${absent.stdout.trim() ? `: ${absent.stdout.trim()}` : ''}`);

// Newer npm runs no dependency's install script unless the project allows it (allowScripts:
// `npm install-scripts approve overlapped`); older npm runs it. So the install is made with --ignore-scripts, the smoke runs, and then
// the install script is run as npm would run it (in the package's folder, node_modules/.bin
// on PATH), and the smoke runs again.
console.log('\nInstalled with --ignore-scripts, no compiler on PATH:');
const app = join(work, 'app');
mkdirSync(app);
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }));
const args = ['install', tgz, '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'];
const inst = spawnSync(join(tools, 'npm'), args, { cwd: app, env, encoding: 'utf8' });
process.stdout.write(inst.stdout + inst.stderr);
check(inst.status === 0, `npm ${args.join(' ')} exits 0`);
const pkg = join(app, 'node_modules', 'overlapped');

function smoke() {
  copyFileSync(join(root, 'test', 'fixtures', 'package-smoke.mjs'), join(app, 'smoke.mjs'));
  const r = spawnSync(join(tools, 'node'), ['smoke.mjs'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  console.log(`    ${r.stdout.trim()}${r.stderr.trim() ? `\n    stderr: ${r.stderr.trim()}` : ''}`);
  check(r.status === 0, 'the smoke program: a native backend, 1 MiB echoed and relayed intact, stats()');
  const bin = join(app, 'node_modules', '.bin', 'overlapped');
  const help = spawnSync(bin, ['--help'], { cwd: app, env, encoding: 'utf8' });
  check(help.status === 0 && help.stdout.includes('overlapped relay'), 'the bin: overlapped --help');
  const version = spawnSync(bin, ['--version'], { cwd: app, env, encoding: 'utf8' });
  check(version.status === 0 && version.stdout.trim() === packed.version, `the bin: overlapped --version (${version.stdout.trim()})`);
}

if (inst.status === 0) {
  smoke();
  console.log('\nThe install script run as npm runs it, no compiler on PATH:');
  const scriptEnv = { ...env, PATH: `${join(pkg, 'node_modules', '.bin')}:${join(app, 'node_modules', '.bin')}:${tools}` };
  const script = spawnSync(join(tools, 'node'), ['scripts/install.mjs'], { cwd: pkg, env: scriptEnv, encoding: 'utf8', timeout: 120_000 });
  process.stdout.write(script.stdout + script.stderr);
  check(script.status === 0, 'scripts/install.mjs exits 0');
  check(!existsSync(join(pkg, 'build')), 'it built nothing (no build/ in the installed package): the prebuild was found');
  check(!/node backend/.test(script.stderr), 'it did not fall back to the node backend');
  smoke();
}

console.log(`\npackage: ${failed === 0 ? 'passed' : `FAILED, ${failed} check(s)`}`);
process.exit(failed === 0 ? 0 : 1);
