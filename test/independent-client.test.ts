// An echo server written against require('overlapped') serves a client that has nothing to
// do with Node (CPython's socket module): the bytes on the wire are right, not merely
// consistent between two copies of our own code.
import { describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { expectedBackend } from './helpers/impls';

const run = promisify(execFile);

describe('overlapped: independent client', () => {
  it('a require("overlapped") echo server serves a Python client exactly', async () => {
    const server = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'echo-server.cjs')], {
      cwd: path.join(__dirname, '..'),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(server.stdout!, 'data')) as [Buffer];
      const { port, backend } = JSON.parse(line.toString());
      expect(backend).toBe(expectedBackend);
      const { stdout } = await run('python3', [path.join(__dirname, 'fixtures', 'echo-client.py'), String(port)]);
      expect(stdout.trim()).toBe('400');
    } finally {
      server.stdin!.end();
    }
    const [code] = await once(server, 'exit');
    expect(code).toBe(0); // the server closed cleanly once its listener was closed
  });
});
