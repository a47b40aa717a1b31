#!/usr/bin/env node
// The package's command (package.json "bin"): `overlapped relay ...`. Bad arguments print
// what is wrong and the usage, and exit with status 2.
import { parseRelayArgs, UsageError, USAGE } from './args';

function fail(message: string): never {
  if (message) process.stderr.write(`overlapped: ${message}\n\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command !== 'relay') fail(command === undefined || command === '--help' ? '' : `unknown command '${command}'`);
  let config;
  try {
    config = parseRelayArgs(rest);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message);
    throw err;
  }
  // Loaded only now: a usage error needs no backend.
  const { runRelay } = require('./relay') as typeof import('./relay');
  runRelay(config).catch((err: Error) => {
    process.stderr.write(`overlapped relay: ${err.message}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2));
