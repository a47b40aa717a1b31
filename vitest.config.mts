import { defineConfig } from 'vitest/config';

// The files that fill the kernel's TCP buffers on purpose (clients that send and never read:
// about 1 GiB of TCP memory for budget-naive-echo's 200 flooders, with the server side's
// send buffers autotuned to tcp_wmem's 4 MiB). Run beside each other or beside the rest of
// the suite, they pushed the machine past tcp_mem's pressure mark: the kernel dropped
// segments, and a flood's read-back waited out retransmission back-offs past the test's time
// limit (one CI run in about ten). They run after the rest, one at a time.
const tcpMemory = ['test/budget-naive-echo.test.ts', 'test/budget-global.test.ts'];

export default defineConfig({
  test: {
    // Each file in its own child process: the addon holds per-process kernel state (a ring),
    // and a crash in one file must not take the others with it.
    pool: 'forks',
    // Each file must close everything it opened (test/helpers/leaks.ts).
    setupFiles: ['test/helpers/leak-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: tcpMemory } },
      {
        extends: true,
        test: { name: 'tcp-memory', include: tcpMemory, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
