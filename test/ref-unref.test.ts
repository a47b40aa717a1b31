// Handles keep the process alive exactly as node:net's do: a listening server or an open
// socket keeps the event loop running, unref() lets the process exit, ref() undoes it.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { exitsWithin, runNode } from './helpers/run-node';

const root = path.join(__dirname, '..');

describe.each(['overlapped', 'node:net'])('%s: ref/unref', (mod) => {
  it('a listening server keeps the process alive', async () => {
    expect(await exitsWithin(mod, `net.createServer().listen(0, '127.0.0.1');`, 1500)).toBe(false);
  });

  it('an unref()ed server does not', async () => {
    expect(await exitsWithin(mod, `net.createServer().listen(0, '127.0.0.1').unref();`, 5000)).toBe(true);
  });

  it('unref() then ref() keeps it alive again', async () => {
    expect(await exitsWithin(mod, `net.createServer().listen(0, '127.0.0.1').unref().ref();`, 1500)).toBe(false);
  });

  it('an unref()ed connected socket does not keep the process alive, a closed server does not either', async () => {
    const code = `
      const server = net.createServer((s) => { server.close(); });
      server.listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => { c.unref(); });
      });
      server.on('connection', (s) => s.unref());`;
    expect(await exitsWithin(mod, code, 5000)).toBe(true);
  });

  it("an unref()ed socket that is destroyed still emits 'close' before the process exits", async () => {
    const code = `
      const server = net.createServer((s) => { s.on('error', () => {}); s.unref(); });
      server.listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => {
          server.close();
          server.unref();
          c.unref();
          c.on('close', () => console.log('close'));
          setImmediate(() => c.destroy());
        });
      });`;
    const { stdout } = await runNode(['-e', `const net = require('${mod}');\n${code}`], { cwd: root, timeout: 5000 });
    expect(stdout.trim()).toBe('close');
  });
});
