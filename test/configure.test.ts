// configure(): options are validated like node's own (TypeError/RangeError with ERR_* codes),
// budgets take effect at once, and the receive pool's shape is refused once the backend has
// started (it is allocated once and never regrown).
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { overlapped } from './helpers/impls';
import { runNode } from './helpers/run-node';

const root = path.join(__dirname, '..');

describe('overlapped: configure()', () => {
  it('rejects bad values with coded errors', () => {
    const bad: Array<[Record<string, unknown>, string, ErrorConstructor]> = [
      [{ writeBudget: 'lots' }, 'ERR_INVALID_ARG_TYPE', TypeError],
      [{ writeBudget: 10 }, 'ERR_OUT_OF_RANGE', RangeError],
      [{ socketWriteLimit: 1.5 }, 'ERR_OUT_OF_RANGE', RangeError],
      [{ recvBufferCount: 100 }, 'ERR_OUT_OF_RANGE', RangeError],
      [{ recvMode: 'psychic' }, 'ERR_INVALID_ARG_VALUE', TypeError],
      [{ acceptsPosted: 0 }, 'ERR_OUT_OF_RANGE', RangeError],
      [{ nonsense: 1 }, 'ERR_INVALID_ARG_VALUE', TypeError],
    ];
    for (const [opts, code, type] of bad) {
      let err: (Error & { code?: string }) | undefined;
      try {
        overlapped.configure(opts as never);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(type);
      expect(err!.code).toBe(code);
    }
  });

  it('sets budgets at any time and reports them in stats()', () => {
    // Restored afterwards: on Windows every test file shares one process (scripts/test-windows.mjs).
    const { writeBudget, socketWriteLimit } = overlapped.configure();
    const c = overlapped.configure({ writeBudget: 32 * 1024 * 1024, socketWriteLimit: 2 * 1024 * 1024 });
    expect(c.writeBudget).toBe(32 * 1024 * 1024);
    const st = overlapped.stats(); // starts the backend
    expect(st.writeBudget).toBe(32 * 1024 * 1024);
    expect(st.socketWriteLimit).toBe(2 * 1024 * 1024);
    expect(overlapped.configure({ writeBudget: Infinity }).writeBudget).toBe(Infinity);
    overlapped.configure({ writeBudget, socketWriteLimit });
  });

  // The node backend has no receive pool (node:net reads into a new Buffer each time): its
  // pool figures stay 0 and nothing starts that would fix a pool's shape.
  it.skipIf(overlapped.backend === 'node')('shapes the pool before the first use, and refuses to once started', async () => {
    const code = `
      const net = require('overlapped');
      net.configure({ recvBufferSize: 8192, recvBufferCount: 64 });
      const s = net.stats();
      let refused;
      try { net.configure({ recvBufferCount: 128 }); } catch (e) { refused = e.code; }
      console.log(JSON.stringify({ poolBytes: s.poolBytes, poolBuffers: s.poolBuffers, refused }));`;
    const { stdout } = await runNode(['-e', code], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ poolBytes: 8192 * 64, poolBuffers: 64, refused: 'ERR_OVERLAPPED_ALREADY_STARTED' });
  });

  it('reads the environment variables operators set', async () => {
    const { stdout } = await runNode(['-e', `console.log(JSON.stringify(require('overlapped').stats()))`], {
      cwd: root,
      env: { ...process.env, OVERLAPPED_RECV_BUFFER_COUNT: '32', OVERLAPPED_WRITE_BUDGET: '1048576' },
    });
    const st = JSON.parse(stdout);
    if (overlapped.backend !== 'node') expect(st.poolBuffers).toBe(32); // no pool on the node backend
    expect(st.backendProbe).toBeDefined();
    expect(st.writeBudget).toBe(1048576);
    const bad = await runNode(['-e', `require('overlapped')`], {
      cwd: root,
      env: { ...process.env, OVERLAPPED_WRITE_BUDGET: 'plenty' },
    }).catch((e) => e as { stderr: string });
    expect((bad as { stderr: string }).stderr).toContain('OVERLAPPED_WRITE_BUDGET');
  });
});
