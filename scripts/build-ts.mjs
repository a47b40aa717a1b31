// Compiles lib/ to dist/cjs with tsc, then places the ESM wrapper (lib/esm) in dist/esm.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
mkdirSync(join(root, 'dist', 'esm'), { recursive: true });
for (const f of ['index.mjs', 'index.d.mts']) cpSync(join(root, 'lib', 'esm', f), join(root, 'dist', 'esm', f));
