// `overlapped relay` with bad arguments: a message naming what is wrong, the usage, exit 2,
// and nothing started.
import { describe, expect, it } from 'vitest';
import { runBin } from './helpers/cli';

describe('overlapped relay: bad arguments', () => {
  it.each([
    [['relay'], '--listen is required'],
    [['relay', '--listen', '0'], 'at least one --target is required'],
    [['relay', '--listen', '0', '--target', 'nohostport'], '--target takes host:port'],
    [['relay', '--listen', '0', '--target', 'h:0'], "bad port '0'"],
    [['relay', '--listen', '70000', '--target', 'h:1'], "bad port '70000'"],
    [['relay', '--listen', '0', '--target', 'h:1', '--workers', '0'], '--workers takes an integer >= 1'],
    [['relay', '--listen', '0', '--target', 'h:1', '--pool', 'lots'], '--pool takes a size'],
    [['relay', '--listen', '0', '--target', 'h:1', '--proxy-protocol', 'v3'], '--proxy-protocol takes v1 or v2'],
    [['relay', '--listen', '0', '--target', 'h:1', '--source', 'not-an-ip'], '--source takes IP addresses'],
    [['relay', '--listen', '0', '--target', 'h:1', '--frobnicate'], 'unknown option --frobnicate'],
    [['relay', '--listen'], '--listen needs a value'],
    [['serve'], "unknown command 'serve'"],
  ])('%j', async (args, message) => {
    const { code, stderr } = await runBin(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Usage: overlapped relay');
  });

  // Asked for, the usage is the answer, not an error: stdout and status 0, as CLIs give it.
  it.each([[['--help']], [['-h']], [['relay', '--help']], [['relay', '-h']]])('%j prints the usage and exits 0', async (args) => {
    const { code, stdout, stderr } = await runBin(args);
    expect(code).toBe(0);
    expect(stdout).toContain('--proxy-protocol v1|v2');
    expect(stderr).toBe('');
  });

  it.each([[['--version']], [['-v']], [['relay', '--version']]])('%j prints the package version and exits 0', async (args) => {
    const { code, stdout } = await runBin(args);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(require('../package.json').version);
  });

  it('no command at all is a usage error', async () => {
    const { code, stderr } = await runBin([]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: overlapped relay');
  });
});
