// The flake check: runs a suite N times and reports every run, so that a test that fails one
// run in ten shows up before CI finds it. CI starts from a fresh clone each time; so can this.
//
//   npm run test:repeat -- N [--suite=linux|asan|windows|ci] [--busy] [--keep-going]
//
//   --suite=linux    npm test (the default)
//   --suite=asan     npm run test:asan
//   --suite=windows  npm run test:windows, each run with a new Wine prefix, as CI has
//   --suite=ci       bash .ci/run on a new clone of HEAD each time (npm ci, a new Wine
//                    prefix, node.exe fetched again): what CI runs, as CI runs it
//   --busy           a second suite beside each run (the Linux suite in a loop, from a clone
//                    of its own), for the timing races a loaded machine brings out
//   --keep-going     run all N even after a failure (the default stops at the first)
//
// Committed work only (HEAD) for --suite=ci and for the --busy load; the working tree for the
// others. Logs go to .cache/repeat/<time>/; a failed run's failing lines are printed.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const suite = option('suite', 'linux');
const SUITES = {
  linux: { cmd: 'npm test' },
  asan: { cmd: 'npm run test:asan' },
  // The Wine prefix lives in .cache/wine-prefix; a new one each run, as on a fresh clone.
  windows: { cmd: 'rm -rf .cache/wine-prefix && npm run test:windows', wine: true },
  ci: { cmd: 'CI=true bash .ci/run', fresh: true, wine: true },
};
if (!SUITES[suite] || !(runs > 0)) {
  console.error(`usage: npm run test:repeat -- N [--suite=${Object.keys(SUITES).join('|')}] [--busy] [--keep-going]`);
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const logs = join(root, '.cache', 'repeat', stamp);
mkdirSync(logs, { recursive: true });
const scratch = join(tmpdir(), `overlapped-repeat-${stamp}`);

/** A clone of HEAD in the scratch folder; `install` runs npm ci in it (its output in the logs). */
function cloneHead(name, install) {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  const log = join(logs, `${name}-setup.log`);
  const r = spawnSync('sh', ['-c', `git clone -q "${root}" "${dir}"${install ? ` && cd "${dir}" && npm ci --no-audit --no-fund` : ''} > "${log}" 2>&1`]);
  if (r.status !== 0) throw new Error(`could not prepare ${dir}: see ${log}`);
  return dir;
}

/**
 * Starts `cmd` in `cwd` with output to `log`, in a process group of its own (so that the
 * whole tree can be stopped); `done` resolves with the exit status and the seconds taken.
 */
function start(cmd, cwd, log) {
  const t0 = Date.now();
  const out = openSync(log, 'w');
  const child = spawn('sh', ['-c', cmd], { cwd, stdio: ['ignore', out, out], detached: true });
  closeSync(out); // the child has its own
  const done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code: code ?? signal, seconds: Math.round((Date.now() - t0) / 1000) });
    });
  });
  return { child, done };
}

/** The lines of a log that name what failed. */
function failingLines(log) {
  const text = readFileSync(log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
  const lines = text.split('\n').filter((l) => /(^\s*(✖|×|FAIL)\s)|handles left open|did not exit|^windows: |Tests .*failed|Error: /.test(l));
  return [...new Set(lines)].slice(0, 20).map((l) => `      ${l.trim()}`).join('\n');
}

// The load beside: the Linux suite, over and over, from its own clone (so that its builds
// never touch the tree under test), until every run is done.
let busy;
if (flag('busy')) {
  console.log('--busy: preparing a clone for the load beside (npm ci) ...');
  const dir = cloneHead('busy', true);
  busy = { stop: false, rounds: 0 };
  busy.done = (async () => {
    while (!busy.stop) {
      busy.current = start('npx vitest run', dir, join(logs, `busy-${busy.rounds + 1}.log`));
      await busy.current.done;
      busy.rounds++;
    }
  })();
}

const SETTLE = 'wineserver -k 2>/dev/null; sleep 1';
let passed = 0;
let failed = 0;
console.log(`${runs} run(s) of --suite=${suite}${busy ? ', with the Linux suite running beside' : ''}; logs in ${logs}`);
for (let i = 1; i <= runs; i++) {
  const log = join(logs, `run-${i}.log`);
  const cwd = SUITES[suite].fresh ? cloneHead(`run-${i}`, false) : root;
  // A wineserver left from the run before would carry its state into this one.
  const cmd = SUITES[suite].wine ? `WINEPREFIX="${cwd}/.cache/wine-prefix"; export WINEPREFIX; ${SETTLE}; ${SUITES[suite].cmd}` : SUITES[suite].cmd;
  const r = await start(cmd, cwd, log).done;
  if (r.code === 0) {
    passed++;
    console.log(`run ${i}/${runs}: passed (${r.seconds} s)`);
  } else {
    failed++;
    console.log(`run ${i}/${runs}: FAILED with ${r.code} (${r.seconds} s), log ${log}\n${failingLines(log)}`);
  }
  if (SUITES[suite].fresh && r.code === 0) rmSync(cwd, { recursive: true, force: true });
  if (failed > 0 && !flag('keep-going')) break;
}
if (busy) {
  busy.stop = true;
  try {
    process.kill(-busy.current.child.pid, 'SIGTERM');
  } catch {
    // already finished
  }
  await busy.done;
  console.log(`(the load beside ran the Linux suite ${busy.rounds} time(s); logs ${join(logs, 'busy-*.log')})`);
}
if (failed === 0) rmSync(scratch, { recursive: true, force: true });
console.log(`\nrepeat: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
