// Runs a child process of the node that runs the tests (promisified execFile), for the tests
// that need a process of their own: exit behaviour, the package's entry points, environment.
//
// Under Wine a child can fail to be created at all: Wine's CreateProcess waits for the child
// to finish Wine's own start-up, and when the child dies in it, reports the death as its own
// failure, with a code libuv has no name for. node then throws `spawn UNKNOWN` (errno -4094)
// before the child has run a line of the test's code. (docs/windows.md: a child killed in
// Wine's start-up gives exactly that, 16 of 300 times; Windows' CreateProcess never reports
// a child's own start-up.) Such a spawn is made again, at most twice, and said in the output,
// which the Windows runner counts; any other failure, and the child's behaviour, stay as they
// are.
import { execFile, type ExecFileOptions } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

// scripts/test-windows.mjs counts the lines that start like this one.
const WINE_SPAWN_RETRY = '# Wine did not create a child process (spawn UNKNOWN); creating it again';

export async function runNode(args: string[], options: ExecFileOptions): Promise<{ stdout: string; stderr: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, args, { ...options, encoding: 'utf8' });
      return { stdout, stderr };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const notCreated = process.platform === 'win32' && err.code === 'UNKNOWN' && err.syscall === 'spawn';
      if (!notCreated || attempt === 3) throw e;
      console.log(WINE_SPAWN_RETRY);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Runs `code` in a child node with `net` bound to moduleName ('overlapped' or 'node:net'):
 * true if the process exits by itself within ms, false if it is still running then.
 */
export async function exitsWithin(moduleName: string, code: string, ms: number): Promise<boolean> {
  const script = `const net = require('${moduleName}');\n${code}`;
  try {
    await runNode(['-e', script], { cwd: path.join(__dirname, '..', '..'), timeout: ms });
    return true;
  } catch (e) {
    if ((e as { killed?: boolean }).killed) return false;
    throw e;
  }
}
