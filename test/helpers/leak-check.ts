// vitest setup file (vitest.config.mts): after each test file, nothing it opened is still
// open. See test/helpers/leaks.ts.
import { afterAll, beforeAll, expect } from 'vitest';
import { leftOpen, openNow, type OpenNow } from './leaks';

let before: OpenNow;
beforeAll(() => {
  before = openNow();
});
afterAll(async () => {
  expect(await leftOpen(before), 'open after the last test of this file').toEqual([]);
});
