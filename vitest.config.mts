import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file in its own child process: the addon holds per-process kernel state (a ring),
    // and a crash in one file must not take the others with it.
    pool: 'forks',
    // Each file must close everything it opened (test/helpers/leaks.ts).
    setupFiles: ['test/helpers/leak-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
