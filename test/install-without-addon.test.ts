// `npm install` succeeds where the addon can be neither found prebuilt nor built (no compiler,
// an unsupported platform): scripts/install.mjs, the package's install step, says in one line
// that the node backend will be used and exits 0, and the package then loads on it. With
// OVERLAPPED_REQUIRE_NATIVE=1 (CI) the failed build fails the install instead. The build is
// made to fail by a compiler that always fails (CC/CXX=/bin/false). Linux only: node-gyp and
// /bin/false are not there under Wine.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.join(__dirname, '..');

async function install(dir: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [path.join(dir, 'scripts', 'install.mjs')], {
      cwd: dir,
      env: { ...process.env, CC: '/bin/false', CXX: '/bin/false', ...env },
    });
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe.runIf(process.platform === 'linux')('overlapped: install where the addon cannot be built', () => {
  it('succeeds with one line about the node backend, and the package then loads on it', async () => {
    // The package as npm unpacks it (no build/, no prebuilds/), beside its dependencies.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlapped-install-'));
    try {
      for (const f of ['package.json', 'binding.gyp', 'native', 'scripts', 'dist'])
        cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));

      const ok = await install(dir, {});
      expect(ok.code).toBe(0);
      const said = ok.stderr.split('\n').filter((l) => l.startsWith('overlapped:'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('the node backend (node:net) will be used');
      expect(existsSync(path.join(dir, 'build', 'Release', 'overlapped.node'))).toBe(false);

      const { stdout } = await run(process.execPath, ['-e', `console.log(require('overlapped').backend)`], {
        cwd: dir,
        env: { ...process.env, OVERLAPPED_BACKEND: '' },
      });
      expect(stdout.trim()).toBe('node');

      const strict = await install(dir, { OVERLAPPED_REQUIRE_NATIVE: '1' });
      expect(strict.code).not.toBe(0);
      expect(strict.stderr).toContain('OVERLAPPED_REQUIRE_NATIVE=1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a build from source that fails, where a prebuild fits, says the prebuild will be used, and it is', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlapped-install-'));
    try {
      for (const f of ['package.json', 'binding.gyp', 'native', 'scripts', 'dist'])
        cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
      // This machine's own build stands in for its platform's prebuild.
      mkdirSync(path.join(dir, 'prebuilds', `linux-${process.arch}`), { recursive: true });
      copyFileSync(path.join(root, 'build', 'Release', 'overlapped.node'), path.join(dir, 'prebuilds', `linux-${process.arch}`, 'overlapped.napi.glibc.node'));

      const r = await install(dir, { npm_config_build_from_source: 'true' });
      expect(r.code).toBe(0);
      const said = r.stderr.split('\n').filter((l) => l.startsWith('overlapped:'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('the prebuilt binary for this platform will be used');

      const { stdout } = await run(process.execPath, ['-e', `console.log(require('overlapped').backend)`], {
        cwd: dir,
        env: { ...process.env, OVERLAPPED_BACKEND: '' },
      });
      expect(stdout.trim()).not.toBe('node');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
