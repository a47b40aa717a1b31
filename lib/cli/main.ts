#!/usr/bin/env node
// The package's command (package.json "bin"): `overlapped relay ...`. Bad arguments print
// what is wrong and the usage, and exit with status 2; --help (-h) prints the usage to stdout
// and --version the package's version, each with status 0.
import { parseRelayArgs, UsageError, USAGE } from './args';

function fail(message: string): never {
  if (message) process.stderr.write(`overlapped: ${message}\n\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  const asked = (...flags: string[]): boolean =>
    flags.includes(command ?? '') || (command === 'relay' && rest.some((a) => flags.includes(a)));
  if (asked('--version', '-v')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(`${(require('../../../package.json') as { version: string }).version}\n`);
    return;
  }
  if (asked('--help', '-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== 'relay') fail(command === undefined ? '' : `unknown command '${command}'`);
  let config;
  try {
    config = parseRelayArgs(rest);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message);
    throw err;
  }
  // On Linux the relay prefers the epoll backend (OVERLAPPED_BACKEND still decides when set).
  // Measured (docs/benchmark.md, "Relaying"): relaying through io_uring cost about twice
  // epoll's CPU per message, a third of it in the socket lock that an armed receive's task
  // work waits on while the peer's CPU delivers the next segment; a readiness poll in its
  // place did not help. The workers of --workers inherit the preference.
  if (process.platform === 'linux') process.env.OVERLAPPED_PREFER_BACKEND ??= 'epoll';
  // Loaded only now: a usage error needs no backend.
  const { runRelay } = require('./relay') as typeof import('./relay');
  runRelay(config).catch((err: Error) => {
    process.stderr.write(`overlapped relay: ${err.message}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2));
