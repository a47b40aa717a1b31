// npm's install step: the prebuilt addon for this platform, or a build from source
// (node-gyp-build). Where neither works (no compiler, an unsupported platform, macOS), the
// install still succeeds: the package then runs on its node backend (node:net underneath,
// chosen at import with one warning; docs/api.md). OVERLAPPED_REQUIRE_NATIVE=1 makes a failed
// build fail the install, for CI (.ci/run) and for operators who want the native backend or
// nothing.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let bin;
try {
  bin = require.resolve('node-gyp-build/bin.js');
} catch {
  bin = undefined;
}
const r = bin ? spawnSync(process.execPath, [bin], { stdio: 'inherit' }) : { status: 1, error: undefined };
if (r.status === 0) process.exit(0);
if (process.env.OVERLAPPED_REQUIRE_NATIVE === '1') {
  console.error('overlapped: the native addon could not be built, and OVERLAPPED_REQUIRE_NATIVE=1');
  process.exit(r.status || 1);
}
// A build from source was asked for (--build-from-source) and failed, but the prebuilt binary
// for this platform loads: that is what the package will use (lib/binding.ts), so say that,
// not that the node backend will run.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuild = spawnSync(process.execPath, ['-e', 'require("node-gyp-build")(process.argv[1])', root], {
  env: { ...process.env, PREBUILDS_ONLY: '1' },
  stdio: 'ignore',
});
if (prebuild.status === 0) {
  console.error(
    `overlapped: the build from source failed (node-gyp-build exited with ${r.status ?? r.signal ?? r.error}); ` +
      'the prebuilt binary for this platform will be used.',
  );
  process.exit(0);
}
console.error(
  'overlapped: no native addon for this platform and none could be built ' +
    `(${bin ? `node-gyp-build exited with ${r.status ?? r.signal ?? r.error}` : 'node-gyp-build not found'}); ` +
    'the node backend (node:net) will be used. `npm rebuild overlapped` retries the build.',
);
