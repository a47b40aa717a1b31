// npm's prepublishOnly: refuses to publish without every prebuild, or with one older than the
// native sources. prebuilds/ is not in git, so a publish from a fresh checkout would
// otherwise ship no binaries, and every install would need a compiler (docs/building.md).
// `npm run prebuilds` makes them.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const expected = [
  'prebuilds/linux-x64/overlapped.napi.glibc.node',
  'prebuilds/linux-arm64/overlapped.napi.glibc.node',
  'prebuilds/win32-x64/overlapped.napi.node',
];
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const sources = Math.max(newest(join(root, 'native')), statSync(join(root, 'binding.gyp')).mtimeMs);
const problems = [];
for (const f of expected) {
  let st;
  try {
    st = statSync(join(root, f));
  } catch {
    problems.push(`${f} is missing`);
    continue;
  }
  if (st.mtimeMs < sources) problems.push(`${f} is older than the native sources`);
}
if (problems.length) {
  console.error(`check-prebuilds: ${problems.join('; ')}. Run \`npm run prebuilds\` first.`);
  process.exit(1);
}
console.log(`check-prebuilds: ${expected.length} prebuilds, newer than the native sources`);
