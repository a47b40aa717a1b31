// Choosing a backend (lib/binding.ts): each name OVERLAPPED_BACKEND can force runs where its
// probe says it can and is refused with ERR_OVERLAPPED_BACKEND where it cannot, an unknown
// name is refused with the valid ones listed, and where the addon cannot load the package
// still loads, on the node backend, with one warning, and serves. Each case is a child
// process: the choice is made once per process, at import.
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { overlapped } from './helpers/impls';
import { runNode } from './helpers/run-node';

const root = path.join(__dirname, '..');
const NAMES = ['io_uring', 'epoll', 'iocp', 'node'];

// A child that loads the package, echoes one message through it, and prints what it saw
// (or the error the import threw) as one line of JSON. Warnings are counted, not printed.
const ECHO = `
  const warnings = [];
  process.on('warning', (w) => warnings.push(w.code ?? w.name));
  let net;
  try { net = require('overlapped'); require('overlapped'); }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); process.exit(0); }
  const server = net.createServer((s) => s.pipe(s));
  server.listen(0, '127.0.0.1', () => {
    const c = net.connect(server.address().port, '127.0.0.1', () => c.end('ping'));
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('close', () => server.close(() => setImmediate(() => console.log(JSON.stringify({
      backend: net.backend, got, ours: c instanceof net.Socket, probe: net.stats().backendProbe,
      socketsOpen: net.stats().socketsOpen, poolBytes: net.stats().poolBytes,
      statsKeys: Object.keys(net.stats()).sort(), warnings,
    })))));
  });`;

async function child(env: Record<string, string | undefined>, cwd = root): Promise<Record<string, any>> {
  const { stdout } = await runNode(['-e', ECHO], { cwd, env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

describe('overlapped: choosing a backend', () => {
  // What this environment's probes said: forcing a name must agree with them.
  const probe = overlapped.stats().backendProbe;

  it('reports every backend in stats().backendProbe, the node backend always ok', () => {
    expect(Object.keys(probe).sort()).toEqual([...NAMES].sort());
    expect(probe.node).toBe('ok');
    expect(probe.iocp === 'not this platform').toBe(process.platform !== 'win32');
    expect(probe.io_uring === 'not this platform').toBe(process.platform !== 'linux');
  });

  it.each(NAMES)('OVERLAPPED_BACKEND=%s runs it where its probe is ok, and refuses it where not', async (name) => {
    const r = await child({ OVERLAPPED_BACKEND: name });
    if (probe[name as keyof typeof probe] === 'ok') {
      expect(r).toMatchObject({ backend: name, got: 'ping', ours: true, socketsOpen: 0, warnings: [] });
      // stats() has one shape whatever the backend; the node backend has no pool.
      expect(r.statsKeys).toEqual(Object.keys(overlapped.stats()).sort());
      if (name === 'node') expect(r.poolBytes).toBe(0);
    } else {
      expect(r.code).toBe('ERR_OVERLAPPED_BACKEND');
      // The refusal says why, in the probe's words: "iocp: not this platform", "epoll: EINVAL ..."
      expect(r.message).toContain(`${name}: ${probe[name as keyof typeof probe]}`);
    }
  });

  it('refuses an unknown name, listing the valid ones and why each cannot run', async () => {
    const r = await child({ OVERLAPPED_BACKEND: 'carrier-pigeon' });
    expect(r.code).toBe('ERR_OVERLAPPED_BACKEND');
    expect(r.message).toContain('carrier-pigeon');
    expect(r.message).toContain('valid names: io_uring, epoll, iocp, node');
    if (process.platform !== 'win32') expect(r.message).toContain('iocp: not this platform');
  });

  it('chooses the first native backend that works, without a warning, when none is forced', async () => {
    const r = await child({ OVERLAPPED_BACKEND: undefined });
    const first = NAMES.find((n) => probe[n as keyof typeof probe] === 'ok');
    expect(r).toMatchObject({ backend: first, got: 'ping', warnings: first === 'node' ? ['OVERLAPPED_NODE_BACKEND'] : [] });
  });

  describe('where the addon cannot load', () => {
    // A copy of the package as an install whose build failed leaves it: package.json,
    // binding.gyp and the compiled TypeScript, no build/ and no prebuilds/.
    function addonlessCopy(): string {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'overlapped-noaddon-'));
      cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      writeFileSync(path.join(dir, 'binding.gyp'), '{}');
      cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      // node-gyp-build, which the loader uses: copied, not linked (Wine cannot make links).
      const ngb = path.dirname(require.resolve('node-gyp-build/package.json', { paths: [root] }));
      cpSync(ngb, path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
      return dir;
    }

    it('loads on the node backend with one warning, and serves an echo', async () => {
      const dir = addonlessCopy();
      try {
        const r = await child({ OVERLAPPED_BACKEND: undefined }, dir);
        expect(r).toMatchObject({
          backend: 'node',
          got: 'ping',
          ours: true,
          socketsOpen: 0,
          warnings: ['OVERLAPPED_NODE_BACKEND'], // once, though the package was required twice
        });
        expect(r.probe).toMatchObject({ node: 'ok', [process.platform === 'win32' ? 'iocp' : 'io_uring']: 'addon not loaded' });

        // Forcing the node backend there is no reason to warn.
        expect(await child({ OVERLAPPED_BACKEND: 'node' }, dir)).toMatchObject({ backend: 'node', warnings: [] });

        // Forcing a native one there is an error that says the addon did not load.
        const forced = await child({ OVERLAPPED_BACKEND: process.platform === 'win32' ? 'iocp' : 'io_uring' }, dir);
        expect(forced.code).toBe('ERR_OVERLAPPED_BACKEND');
        expect(forced.message).toContain('addon not loaded');
        expect(forced.message).toContain('could not load the native addon');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
