// The addon loader (lib/binding.ts) tries a local build first, then the prebuild that matches
// this platform, and a local build that exists but cannot load falls through to the prebuild
// instead of failing: a build left by another architecture, another OS (a Linux build in a
// folder shared with Windows) or a broken one. Here the package is copied to a scratch folder
// with a build/Release/overlapped.node that is not a shared object at all, and the real addon
// as its linux-x64 prebuild; which file the child process mapped is read from
// /proc/self/maps. Linux only: the scratch copy uses the Linux addon and /proc.
import { describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNode } from './helpers/run-node';

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'overlapped.node');

// The package as installed, with a given set of .node files (path under the package → source).
function scratch(nodeFiles: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'overlapped-load-'));
  for (const f of ['package.json', 'binding.gyp', 'dist']) cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [rel, from] of Object.entries(nodeFiles)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    if (typeof from === 'string') copyFileSync(from, path.join(dir, rel));
    else writeFileSync(path.join(dir, rel), from);
  }
  return dir;
}

async function loadIn(
  dir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ backend: string; mapped: string[]; warning: string; warningCode: string }> {
  const code = `
    let warning = '', warningCode = '';
    process.on('warning', (w) => { warning = w.message; warningCode = w.code; });
    const o = require(${JSON.stringify(dir)});
    const mapped = [...new Set(require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n')
      .map((l) => l.split(/\\s+/).slice(5).join(' ')).filter((p) => p.endsWith('.node')))];
    setImmediate(() => console.log(JSON.stringify({ backend: o.backend, mapped, warning, warningCode })));`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.OVERLAPPED_BACKEND;
  delete env.PREBUILDS_ONLY;
  const { stdout } = await runNode(['-e', code], { cwd: dir, env });
  return JSON.parse(stdout);
}

const notAnAddon = Buffer.from('this is not a shared object\n');

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('overlapped: loading the addon', () => {
  it('a local build that cannot load falls through to the matching prebuild, and says so', async () => {
    const dir = scratch({
      'build/Release/overlapped.node': notAnAddon,
      'prebuilds/linux-x64/overlapped.napi.glibc.node': built,
    });
    try {
      const r = await loadIn(dir);
      expect(r.backend).not.toBe('node');
      expect(r.mapped).toEqual([path.join(dir, 'prebuilds', 'linux-x64', 'overlapped.napi.glibc.node')]);
      // Not silent: the prebuild may be older than the sources the broken build came from.
      expect(r.warningCode).toBe('OVERLAPPED_ADDON_FALLBACK');
      expect(r.warning).toContain(path.join(dir, 'build', 'Release', 'overlapped.node'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a local build that loads is taken before the prebuild', async () => {
    const dir = scratch({
      'build/Release/overlapped.node': built,
      'prebuilds/linux-x64/overlapped.napi.glibc.node': built,
    });
    try {
      const r = await loadIn(dir);
      expect(r.backend).not.toBe('node');
      expect(r.mapped).toEqual([path.join(dir, 'build', 'Release', 'overlapped.node')]);
      expect(r.warning).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a prebuild tagged for musl is not taken on glibc, and with nothing else the node backend says what it tried', async () => {
    const dir = scratch({
      'build/Release/overlapped.node': notAnAddon,
      'prebuilds/linux-x64/overlapped.napi.musl.node': built,
      'prebuilds/linux-arm64/overlapped.napi.glibc.node': built,
    });
    try {
      const r = await loadIn(dir);
      expect(r.backend).toBe('node');
      expect(r.mapped).toEqual([]);
      // The warning names the build that failed, and no prebuild (none matched).
      expect(r.warning).toContain(path.join(dir, 'build', 'Release', 'overlapped.node'));
      expect(r.warning).not.toContain('prebuilds');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('OVERLAPPED_PREBUILD names another folder to load from, as node-gyp-build reads it', async () => {
    const dir = scratch({});
    const other = scratch({ 'prebuilds/linux-x64/overlapped.napi.glibc.node': built });
    try {
      const r = await loadIn(dir, { OVERLAPPED_PREBUILD: other });
      expect(r.backend).not.toBe('node');
      expect(r.mapped).toEqual([path.join(other, 'prebuilds', 'linux-x64', 'overlapped.napi.glibc.node')]);
      expect(r.warning).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
