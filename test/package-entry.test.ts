// The package loads the way users load it: require() and import, default and named exports,
// from the package's own entry points, and reports its backend.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { expectedBackend as expected } from './helpers/impls';
import { runNode } from './helpers/run-node';

const root = path.join(__dirname, '..');

describe('overlapped: package entry points', () => {
  it('require("overlapped") gives the node:net-shaped API', async () => {
    const code = `
      const net = require('overlapped');
      const names = ['createServer','connect','createConnection','Server','Socket','isIP','stats','backend'];
      const missing = names.filter((n) => !(n in net));
      const s = new net.Socket();
      console.log(JSON.stringify({ backend: net.backend, missing, duplex: s instanceof require('node:stream').Duplex,
        def: net.default.createServer === net.createServer }));`;
    const { stdout } = await runNode(['-e', code], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ backend: expected, missing: [], duplex: true, def: true });
  });

  it('import net from "overlapped" and named imports work in ESM', async () => {
    const code = `
      import net, { createServer, connect, backend } from 'overlapped';
      const server = createServer((s) => s.end('esm'));
      server.listen(0, '127.0.0.1', () => {
        const c = connect(server.address().port, '127.0.0.1');
        c.on('data', (d) => { console.log(JSON.stringify({ got: d.toString(), backend, same: net.createServer === createServer })); server.close(); });
      });`;
    const { stdout } = await runNode(['--input-type=module', '-e', code], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ got: 'esm', backend: expected, same: true });
  });

  it('an unknown OVERLAPPED_BACKEND fails with a clear, coded error', async () => {
    const code = `try { require('overlapped'); console.log('loaded'); } catch (e) { console.log(JSON.stringify({ code: e.code, msg: e.message })); }`;
    const { stdout } = await runNode(['-e', code], {
      cwd: root,
      env: { ...process.env, OVERLAPPED_BACKEND: 'carrier-pigeon' },
    });
    const r = JSON.parse(stdout);
    expect(r.code).toBe('ERR_OVERLAPPED_BACKEND');
    expect(r.msg).toContain('carrier-pigeon');
  });
});
