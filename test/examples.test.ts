// The programs in examples/ run as a user runs them (`node examples/NAME.mjs`, importing
// 'overlapped' by name) on the backend under test (OVERLAPPED_BACKEND is inherited): each
// must exit 0 and print its `ok` line. The code that README.md and docs/recipes.md show is
// those files, byte for byte, so the docs cannot drift from code that runs.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedBackend } from './helpers/impls';
import { runNode } from './helpers/run-node';

const root = path.join(__dirname, '..');
const dir = path.join(root, 'examples');

// The relay command prefers epoll on Linux unless OVERLAPPED_BACKEND names one (lib/cli/main.ts).
const relayBackend = process.env.OVERLAPPED_BACKEND || '\\w+';

// Each example and the line it must print (a regular expression's source), before the
// ' (backend NAME)' that ends every line.
const EXAMPLES: Array<[string, string]> = [
  ['quick-start.mjs', 'ok echo hello'],
  ['http-server.mjs', 'ok 200 /page served on an overlapped socket'],
  ['http-agent.mjs', 'ok 200 GET /items on an overlapped socket'],
  ['https-agent.mjs', 'ok 200 GET /secure authorized=true'],
  ['tls.mjs', 'ok SECRET authorized=true'],
  ['http2.mjs', 'ok 200 GET /doc over http2'],
  ['ws.mjs', 'ok echoed ping'],
  ['undici.mjs', 'ok 200 GET /things over 1 overlapped connection'],
  ['relay.mjs', 'ok hello, 5 bytes up and 5 down'],
  ['pipe.mjs', 'ok hello'],
  ['relay-cli.mjs', `ok hello through the relay on ${relayBackend}, exit 0`],
];

// A code block shown as an example's file: the marker line, then the fenced block.
const MARKED = /<!-- (examples\/[\w.-]+\.mjs) -->\n```js\n([\s\S]*?)```/g;

const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

describe('examples/', () => {
  for (const [file, line] of EXAMPLES) {
    // relay-cli stops the command with SIGTERM, on which it drains and exits 0; Windows has no
    // SIGTERM to catch (the process is killed), as for the cli-relay tests.
    it.skipIf(process.platform === 'win32' && file === 'relay-cli.mjs')(`${file} runs and prints its ok line`, async () => {
      const { stdout } = await runNode([path.join(dir, file)], { cwd: root, env: process.env, timeout: 30_000 });
      const ok = stdout.split(/\r?\n/).filter((l) => l.startsWith('ok '));
      expect(ok.length, stdout).toBe(1);
      expect(ok[0]).toMatch(new RegExp(`^${line} \\(backend ${expectedBackend}\\)$`));
    });
  }

  it('every example is run here', () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort();
    expect(files).toEqual(EXAMPLES.map(([f]) => f).sort());
  });

  it('README.md and docs/recipes.md show each example as its file is', () => {
    const shown: string[] = [];
    for (const doc of ['README.md', 'docs/recipes.md']) {
      for (const [, file, code] of read(doc).matchAll(MARKED)) {
        expect(code, `${doc}: the block marked ${file}`).toBe(read(file));
        shown.push(file);
      }
    }
    expect([...new Set(shown)].sort()).toEqual(EXAMPLES.map(([f]) => `examples/${f}`).sort());
  });
});
