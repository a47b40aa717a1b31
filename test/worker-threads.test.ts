// Each Node environment gets its own backend: a server in a worker thread serves clients in
// the main thread at the same time as a main-thread server, and the worker's backend is torn
// down cleanly when the worker exits (the process survives and keeps working).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { closeServer, listen, overlapped, readAll } from './helpers/impls';

describe('overlapped: worker threads', () => {
  it('runs a server in a worker beside one in the main thread', async () => {
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const net = require('overlapped');
      const server = net.createServer((s) => s.end('from worker'));
      server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
      parentPort.on('message', (m) => { if (m === 'stop') server.close(() => parentPort.close()); });
      `,
      { eval: true },
    );
    const [workerPort] = (await once(worker, 'message')) as [number];
    const main = overlapped.createServer((s) => s.end('from main'));
    const mainPort = await listen(main as never);

    const a = overlapped.connect(workerPort, '127.0.0.1');
    const b = overlapped.connect(mainPort, '127.0.0.1');
    const [ra, rb] = await Promise.all([readAll(a as never), readAll(b as never)]);
    expect(ra.toString()).toBe('from worker');
    expect(rb.toString()).toBe('from main');

    worker.postMessage('stop');
    const [exitCode] = await once(worker, 'exit');
    expect(exitCode).toBe(0);

    // The main thread's backend is unaffected by the worker's teardown.
    const c = overlapped.connect(mainPort, '127.0.0.1');
    expect((await readAll(c as never)).toString()).toBe('from main');
    await closeServer(main as never);
  });

  it('a worker terminated with open sockets does not take the process down', async () => {
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const net = require('overlapped');
      const server = net.createServer((s) => s.pipe(s));
      server.listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => { c.write('x'.repeat(100000)); parentPort.postMessage('up'); });
      });
      `,
      { eval: true },
    );
    await once(worker, 'message');
    await worker.terminate();
    // Still alive and serving here.
    const s = overlapped.createServer((x) => x.end('alive'));
    const port = await listen(s as never);
    expect((await readAll(overlapped.connect(port, '127.0.0.1') as never)).toString()).toBe('alive');
    await closeServer(s as never);
  });
});
