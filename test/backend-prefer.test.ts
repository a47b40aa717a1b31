// OVERLAPPED_PREFER_BACKEND: a backend taken when its probe says it can run here, otherwise the
// usual order, silently (a preference, unlike OVERLAPPED_BACKEND, which refuses what cannot
// run). `overlapped relay` sets it to epoll on Linux, unless OVERLAPPED_BACKEND is set.
import { describe, expect, it } from 'vitest';
import { overlapped } from './helpers/impls';
import * as path from 'node:path';
import { runNode } from './helpers/run-node';
import { startRelayBin } from './helpers/cli';

const NAMES = ['io_uring', 'epoll', 'iocp', 'node'] as const;
const probe = overlapped.stats().backendProbe;
const usual = NAMES.find((n) => probe[n] === 'ok');

async function chosen(env: Record<string, string | undefined>): Promise<string> {
  const { stdout } = await runNode(['-e', "console.log(require('overlapped').backend)"], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, OVERLAPPED_BACKEND: undefined, ...env },
  });
  return stdout.trim();
}

describe('OVERLAPPED_PREFER_BACKEND', () => {
  it.each(NAMES.filter((n) => n !== 'node'))('prefers %s where it can run, else the usual order', async (name) => {
    expect(await chosen({ OVERLAPPED_PREFER_BACKEND: name })).toBe(probe[name] === 'ok' ? name : usual);
  });

  it('never prefers the node backend over a native one, and ignores an unknown name', async () => {
    expect(await chosen({ OVERLAPPED_PREFER_BACKEND: 'node' })).toBe(usual);
    expect(await chosen({ OVERLAPPED_PREFER_BACKEND: 'carrier-pigeon' })).toBe(usual);
  });

  it('yields to OVERLAPPED_BACKEND', async () => {
    expect(await chosen({ OVERLAPPED_BACKEND: 'node', OVERLAPPED_PREFER_BACKEND: usual })).toBe('node');
  });

  // The relay's preference is Linux's (epoll there); the CLI tests do not run under Wine.
  it.runIf(process.platform === 'linux')('overlapped relay runs on epoll unless OVERLAPPED_BACKEND says otherwise', async () => {
    const saved = process.env.OVERLAPPED_BACKEND;
    delete process.env.OVERLAPPED_BACKEND; // startRelayBin passes this process's environment on
    try {
      const relay = await startRelayBin(['--target', '127.0.0.1:9', '--workers', '1']);
      try {
        expect((await relay.next('listening')).backend).toBe(probe.epoll === 'ok' ? 'epoll' : usual);
      } finally {
        expect(await relay.stop()).toBe(0);
      }
    } finally {
      if (saved !== undefined) process.env.OVERLAPPED_BACKEND = saved;
    }
  });
});
