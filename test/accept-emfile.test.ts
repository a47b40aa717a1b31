// A listener that runs out of file descriptors (EMFILE) backs off and retries; it never stops
// accepting for good. The server process runs under `prlimit --nofile=64` (util-linux) so the
// limit is reached with 100 peers; every peer is still served once earlier ones have gone.
// Linux only: prlimit and RLIMIT_NOFILE semantics are Linux's. The Windows run does the same
// from the host side: test/windows/host-accept-emfile.ts.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ask } from './helpers/ask';
import { overlapped } from './helpers/impls';

// Not on the node backend: node:net's listener (libuv's uv__emfile_trick) answers EMFILE by
// accepting and closing the waiting connections, so those peers are reset, not served later;
// backing off and retrying is the native backends' accept loop.
describe.runIf(process.platform === 'linux' && overlapped.backend !== 'node')('overlapped: accept under EMFILE', () => {
  it('backs off on EMFILE and serves every peer in the end', async () => {
    const child = spawn('prlimit', ['--nofile=64:64', process.execPath, path.join(__dirname, 'fixtures', 'fd-limited-server.cjs')], {
      cwd: path.join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = readline.createInterface({ input: child.stdout! });
    const next = async () => JSON.parse((await once(lines, 'line'))[0] as string);
    const { port } = await next();

    const PEERS = 100;
    const sockets: nodeNet.Socket[] = [];
    const answers = Array.from({ length: PEERS }, (_, i) => {
      const c = nodeNet.connect(port, '127.0.0.1');
      sockets.push(c);
      return new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        c.on('connect', () => c.write(`hello ${i}`));
        c.on('data', (d: Buffer) => chunks.push(d));
        c.on('end', () => resolve(Buffer.concat(chunks).toString()));
        c.on('error', reject);
      });
    });
    const got = await Promise.all(answers);
    expect(got).toEqual(Array.from({ length: PEERS }, (_, i) => `hello ${i}`));

    for (const s of sockets) s.destroy();
    const stats = JSON.parse(await ask(port, 'stats'));
    expect(stats.acceptErrors).toBeGreaterThan(0); // EMFILE really happened
    expect(stats.acceptsPaused).toBeGreaterThan(0); // and the listener backed off
    expect(stats.listenersOpen).toBe(1); // and is still there
    expect(await ask(port, 'quit')).toBe('bye');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
