// The subset of vitest's API the behavioural tests use, on node:test and node:assert, so the
// very same test files run on node.exe under Wine (scripts/test-windows.mjs bundles them with
// 'vitest' pointing here). Vitest's own runner needs worker processes and pipes, which
// node.exe under Wine does not survive.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const kMatcher = Symbol('matcher');
function objectContaining(shape) {
  return { [kMatcher]: (v) => v != null && Object.keys(shape).every((k) => matches(v[k], shape[k])), shape };
}
function matches(actual, expected) {
  if (expected && expected[kMatcher]) return expected[kMatcher](actual);
  return util.isDeepStrictEqual(actual, expected);
}
// toMatchObject: every key the expected object names matches, recursively; arrays match
// element by element and in length, as vitest's does.
function matchesObject(actual, expected) {
  if (expected && expected[kMatcher]) return expected[kMatcher](actual);
  if (Array.isArray(expected))
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesObject(actual[i], e));
  if (expected !== null && typeof expected === 'object')
    return actual != null && typeof actual === 'object' && Object.keys(expected).every((k) => matchesObject(actual[k], expected[k]));
  return Object.is(actual, expected);
}
function show(v) {
  return util.inspect(v && v[kMatcher] ? { objectContaining: v.shape } : v, { depth: 3, breakLength: 120 });
}

function expect(actual, label) {
  const m = matchers(actual, label, false);
  // .not: each matcher with its verdict inverted (the failure names the negated expectation).
  m.not = matchers(actual, label, true);
  return m;
}
function matchers(actual, label, negated) {
  const fail = (what) => {
    if (!negated) assert.fail(`${label ? label + ': ' : ''}expected ${show(actual)} ${what}`);
    return false;
  };
  const m = {
    toBe: (e) => Object.is(actual, e) || fail(`to be ${show(e)}`),
    toEqual: (e) => matches(actual, e) || fail(`to equal ${show(e)}`),
    toMatchObject: (e) => matchesObject(actual, e) || fail(`to match ${show(e)}`),
    toBeGreaterThan: (e) => actual > e || fail(`to be > ${e}`),
    toBeGreaterThanOrEqual: (e) => actual >= e || fail(`to be >= ${e}`),
    toBeLessThan: (e) => actual < e || fail(`to be < ${e}`),
    toBeLessThanOrEqual: (e) => actual <= e || fail(`to be <= ${e}`),
    toHaveLength: (n) => (actual != null && actual.length === n) || fail(`to have length ${n}`),
    toBeInstanceOf: (c) => actual instanceof c || fail(`to be an instance of ${c.name}`),
    toContain: (e) => (actual != null && actual.includes(e)) || fail(`to contain ${show(e)}`),
    toMatch: (re) => (typeof re === 'string' ? actual.includes(re) : re.test(actual)) || fail(`to match ${re}`),
    toBeUndefined: () => actual === undefined || fail('to be undefined'),
    toBeDefined: () => actual !== undefined || fail('to be defined'),
    toBeNull: () => actual === null || fail('to be null'),
    toBeTruthy: () => !!actual || fail('to be truthy'),
    toThrow: (e) => {
      let thrown;
      try {
        actual();
      } catch (err) {
        thrown = err;
      }
      if (thrown === undefined) return fail('to throw');
      if (e === undefined) return true;
      if (typeof e === 'function') return thrown instanceof e || fail(`to throw ${e.name}, threw ${show(thrown)}`);
      return matches(thrown, e) || fail(`to throw ${show(e)}, threw ${show(thrown)}`);
    },
  };
  if (!negated) return m;
  const not = {};
  for (const [name, check] of Object.entries(m))
    not[name] = (...args) => {
      if (check(...args) === false) return true;
      assert.fail(`${label ? label + ': ' : ''}expected ${show(actual)} not ${name}(${args.map((a) => show(a)).join(', ')})`);
    };
  return not;
}
expect.objectContaining = objectContaining;

function each(table, make = (title, fn) => test.describe(title, fn)) {
  return (name, fn) => {
    for (const row of table) {
      const args = Array.isArray(row) ? row : [row];
      let i = 0;
      const title = name.replace(/%s/g, () => String(args[i++]));
      make(title, () => fn(...args));
    }
  };
}

const describe = (name, fn) => test.describe(name, fn);
describe.each = each;
describe.runIf = (cond) => (cond ? describe : (name, fn) => test.describe(name, { skip: 'not on this platform' }, fn));
const it = (name, fn, timeout) => test.it(name, { timeout: typeof timeout === 'number' ? timeout : 120_000 }, fn);
it.runIf = (cond) => (cond ? it : (name, fn) => test.it(name, { skip: 'not on this platform' }, fn));
it.each = (table) => each(table, (title, fn) => it(title, fn));
// skipIf: the condition names why (a backend without the feature); the reason is the test's comment.
describe.skipIf = (cond) => (cond ? (name, fn) => test.describe(name, { skip: 'skipIf' }, fn) : describe);
it.skipIf = (cond) => (cond ? (name, fn) => test.it(name, { skip: 'skipIf' }, fn) : it);

// Hooks: node:test's, which, as vitest's, run around each test (or once) of the enclosing suite
// or, at a file's top level, of the file.
const { beforeEach, afterEach, before: beforeAll, after: afterAll } = test;

module.exports = { describe, it, expect, beforeEach, afterEach, beforeAll, afterAll };
