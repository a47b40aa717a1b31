// With EventEmitter.captureRejections on, a rejected async listener is handled as node:net's
// Server handles it (its Symbol.for('nodejs.rejection') method): from a 'connection' listener
// it destroys that socket with the error, from another listener it becomes the server's
// 'error' (issue #11). The global is set for this file's servers and restored after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter, once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

let before: boolean;
beforeAll(() => {
  before = EventEmitter.captureRejections;
  EventEmitter.captureRejections = true;
});
afterAll(() => {
  EventEmitter.captureRejections = before;
});

describe.each(impls)('%s: captureRejections', (_name, net) => {
  it("a rejecting 'connection' listener destroys that socket with the error", async () => {
    const errors: string[] = [];
    const server = net.createServer(async (s) => {
      s.on('error', (e) => errors.push(e.message));
      throw new Error('boom');
    });
    const port = await listen(server as never);
    const c = nodeNet.connect(port, '127.0.0.1');
    c.on('error', () => {});
    await new Promise((r) => c.on('close', r));
    expect(errors).toEqual(['boom']);
    await closeServer(server as never);
  });

  it("a rejecting 'listening' listener is the server's 'error'", async () => {
    const server = net.createServer();
    server.on('listening', async () => {
      throw new Error('late');
    });
    server.listen(0, '127.0.0.1');
    const [err] = await once(server, 'error');
    expect((err as Error).message).toBe('late');
    await closeServer(server as never);
  });
});
