// When the shared receive pool runs dry, io_uring ends a socket's multishot recv with
// -ENOBUFS. That must never surface as an error or lose a byte: the socket waits and is
// re-armed when buffers come back. A pool of 4 buffers for 64 busy sockets forces it.
// (overlapped only: node:net has no shared pool to starve.)
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { overlapped } from './helpers/impls';

const run = promisify(execFile);

// The node backend has no receive pool to starve: node:net reads into a new Buffer per read.
describe.skipIf(overlapped.backend === 'node')('overlapped: receive pool starvation', () => {
  it('re-arms starved sockets and delivers every byte', async () => {
    const { stdout } = await run(process.execPath, [path.join(__dirname, 'fixtures', 'pool-starvation.cjs'), '64', String(256 * 1024)], {
      env: { ...process.env, OVERLAPPED_RECV_BUFFER_COUNT: '4', OVERLAPPED_RECV_BUFFER_SIZE: '4096' },
      cwd: path.join(__dirname, '..'),
    });
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(64);
    expect(report.stats.poolBuffers).toBe(4);
    expect(report.stats.poolBytes).toBe(4 * 4096);
    // The pool really ran dry, and sockets waited for buffers...
    expect(report.stats.bufferWaits).toBeGreaterThan(0);
    // ...but never held more buffers than the pool has, and gave every one back.
    expect(report.stats.buffersInUsePeak).toBeLessThanOrEqual(4);
    expect(report.stats.buffersInUse).toBe(0);
    expect(report.stats.socketsWaitingForBuffers).toBe(0);
  });
});
