// Runs the test suite once per backend, so that every backend is held to the same behaviour
// (issue #10): io_uring, epoll and node on Linux; iocp and node on Windows (the Windows run
// under Wine is scripts/test-windows.mjs). Each run forces its backend with
// OVERLAPPED_BACKEND, which the package honours or refuses with an error naming why.
//
//   node scripts/test-backends.mjs [vitest args...]
//
// OVERLAPPED_TEST_BACKENDS=io_uring,epoll picks the backends (CI names all of them, so that
// one that cannot start there fails the run instead of being left out). Without it, every
// backend of this platform that starts here runs, and any that cannot is named at the end.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const platformBackends = process.platform === 'win32' ? ['iocp', 'node'] : process.platform === 'linux' ? ['io_uring', 'epoll', 'node'] : ['node'];
const named = process.env.OVERLAPPED_TEST_BACKENDS?.split(',').filter(Boolean);
const backends = named ?? platformBackends;
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');

// Whether the package starts with this backend forced, and if not, its error.
function check(backend) {
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(require('.').backend)"], {
    cwd: root,
    env: { ...process.env, OVERLAPPED_BACKEND: backend },
    encoding: 'utf8',
  });
  if (r.status === 0 && r.stdout === backend) return undefined;
  return (r.stderr.split('\n').find((l) => l.includes('overlapped')) ?? r.stderr.trim()) || `exit ${r.status}`;
}

const results = [];
for (const backend of backends) {
  const why = check(backend);
  if (why !== undefined) {
    results.push({ backend, status: named ? 'FAILED (cannot start)' : 'not run (cannot start here)', why, failed: !!named });
    continue;
  }
  console.log(`\n=== test suite on the ${backend} backend ===\n`);
  const r = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
    cwd: root,
    env: { ...process.env, OVERLAPPED_BACKEND: backend },
    stdio: 'inherit',
  });
  results.push({ backend, status: r.status === 0 ? 'passed' : 'FAILED', failed: r.status !== 0 });
}

console.log('\n=== backends ===');
for (const { backend, status, why } of results) console.log(`${backend.padEnd(9)} ${status}${why ? `: ${why}` : ''}`);
const ran = results.filter((r) => r.status === 'passed' || r.status === 'FAILED');
if (ran.length === 0) console.log('no backend could start: nothing was tested');
process.exit(results.some((r) => r.failed) || ran.length === 0 ? 1 : 0);
