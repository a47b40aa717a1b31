// A server that writes as soon as it accepts (a banner, as SMTP, SSH and Redis's errors do):
// every client reads it, whether the bytes arrived with the edge that reported its connect,
// after it, or while the client was not reading. The epoll backend takes its connect's edge as
// the word on whether the socket is readable (no read that finds nothing), so a client that
// missed a banner here would hang. The server runs in a worker thread, so that it accepts and
// writes while this thread is held up: the banner is then already there when the client's
// connect is reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { impls, readAll } from './helpers/impls';

const CLIENTS = 200; // 200 descriptors here and 200 in the worker, far below the cap of 20000

// The worker: node:net servers on loopback. `end`: banner then end; `open`: banner, then
// the end after the client's; `echo`: banner, then echo what comes.
const SERVER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const ports = {};
let n = 0, pending = 3;
for (const mode of ['end', 'open', 'echo']) {
  const s = net.createServer((c) => {
    c.on('error', () => {});
    const line = 'hello ' + n++ + '\\n';
    if (mode === 'end') c.end(line);
    else if (mode === 'open') { c.write(line); c.resume(); c.on('end', () => c.end()); }
    else { c.write('banner\\n'); c.pipe(c); }
  });
  s.listen(0, '127.0.0.1', () => {
    ports[mode] = s.address().port;
    if (--pending === 0) parentPort.postMessage(ports);
  });
}
parentPort.on('message', () => process.exit(0));
`;

let worker: Worker;
let ports: { end: number; open: number; echo: number };

beforeAll(async () => {
  worker = new Worker(SERVER, { eval: true });
  [ports] = (await once(worker, 'message')) as [typeof ports];
});

afterAll(async () => {
  worker.postMessage('exit');
  await once(worker, 'exit');
});

/** Holds this thread (no event loop turn) for ms, while the worker's server runs. */
function hold(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.each(impls)('%s: a server that speaks first', (_name, net) => {
  it(`${CLIENTS} clients at once each read the banner and the end, which came before their connect was reported`, async () => {
    const clients = Array.from({ length: CLIENTS }, () => net.connect(ports.end, '127.0.0.1'));
    const got = Promise.all(clients.map((c) => readAll(c).then((b) => b.toString())));
    hold(100);
    const lines = await got;
    lines.forEach((g) => expect(g).toMatch(/^hello \d+\n$/));
    expect(new Set(lines).size).toBe(CLIENTS);
  });

  it('a client whose banner came before its connect, and who keeps the connection open, reads it', async () => {
    const clients = Array.from({ length: 50 }, () => net.connect(ports.open, '127.0.0.1'));
    const first = Promise.all(clients.map((c) => once(c, 'data').then(([d]) => (d as Buffer).toString())));
    hold(100);
    const lines = await first;
    lines.forEach((l) => expect(l).toMatch(/^hello \d+\n$/));
    await Promise.all(
      clients.map((c) => {
        c.end();
        c.resume();
        return once(c, 'close');
      }),
    );
  });

  it('a client that starts reading only after connect (paused, then resumed) still gets the banner', async () => {
    const lines = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const c = net.connect(ports.open, '127.0.0.1');
        c.pause();
        await once(c, 'connect');
        // The banner has had time to arrive while nobody read: its edge is spent.
        await new Promise((r) => setTimeout(r, 30));
        const first = once(c, 'data');
        c.resume();
        const [data] = (await first) as [Buffer];
        c.end();
        await once(c, 'close');
        return data.toString();
      }),
    );
    lines.forEach((l) => expect(l).toMatch(/^hello \d+\n$/));
  });

  it('a client that writes at once, before its connect completes, reads the banner and then the reply', async () => {
    const clients = Array.from({ length: 50 }, (_, i) => {
      const c = net.connect(ports.echo, '127.0.0.1');
      c.end(`ping ${i}\n`);
      return readAll(c).then((b) => b.toString());
    });
    hold(50);
    const got = await Promise.all(clients);
    got.forEach((g, i) => expect(g).toBe(`banner\nping ${i}\n`));
  });
});
