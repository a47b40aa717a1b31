// For the Windows cases driven from the Linux side (test/windows/host-*.ts, bundled and run by
// scripts/test-windows.mjs after the suite that runs inside node.exe): the server is node.exe
// under Wine, the peers are on Linux.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ask } from '../helpers/ask';

export { ask };

/** What scripts/test-windows.mjs hands each case. */
export interface Wine {
  /** The Windows node.exe, for command lines. */
  nodeExe: string;
  /** A path for node.exe's output: under Wine it cannot write to a pipe. */
  outFile(name: string): string;
  /** Runs a shell command line (that starts wine) with a fresh wineserver, in the repository root. */
  sh(command: string): ChildProcess;
  /** The exit status; rejects after ms. */
  exited(child: ChildProcess, ms: number): Promise<number | null>;
  /** Stops every Wine process of the prefix (and the wineserver). */
  stop(child: ChildProcess): Promise<void>;
}

export interface HostCase {
  name: string;
  /** Throws on failure; may return a line of detail for the report. */
  run(wine: Wine): Promise<string | void>;
}

/**
 * Starts test/fixtures/naive-echo-stats.cjs in node.exe (args: its command-line arguments),
 * waits for its ports, and gives a way to ask it for overlapped.stats() and to make it quit.
 */
export async function startNaiveEcho(wine: Wine, name: string, args = '') {
  const out = wine.outFile(`${name}.txt`);
  const child = wine.sh(`wine "${wine.nodeExe}" test/fixtures/naive-echo-stats.cjs ${args} > "${out}" 2>&1`);
  const ports = await waitForJsonLine(out, child, 60_000);
  if (!ports) {
    await wine.stop(child);
    throw new Error(`the naive echo server did not start: ${existsSync(out) ? readFileSync(out, 'utf8') : '(no output)'}`);
  }
  const { port, control } = ports as { port: number; control: number };
  return {
    child,
    port,
    stats: async (): Promise<Record<string, number>> => JSON.parse(await ask(control, 'stats')),
    quit: () => ask(control, 'quit'),
  };
}

/**
 * The first line of `file` that parses as a JSON object, once node.exe has written it;
 * undefined if `child` exits first or `ms` pass.
 */
export async function waitForJsonLine(file: string, child: ChildProcess, ms: number): Promise<Record<string, any> | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const [first] = jsonLines(file);
    if (first) return first;
    if (child.exitCode !== null) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** The lines of `file` so far that parse as JSON objects (none while it does not exist). */
export function jsonLines(file: string): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const v = JSON.parse(line);
      if (v !== null && typeof v === 'object') out.push(v);
    } catch {
      // not (yet) a whole JSON line
    }
  }
  return out;
}
