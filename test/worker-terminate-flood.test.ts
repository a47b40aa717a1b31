// A worker terminated while peers are connecting to its server leaves no socket behind:
// connections the kernel completed but that JS never saw are closed with the worker's
// backend, not left open with nobody to close them (peers stuck in CLOSE-WAIT). 60 rounds
// of terminate-under-a-connect-flood; before the fix about one round in four leaked.
// Linux only: it counts the process's socket descriptors in /proc/self/fd.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as nodeNet from 'node:net';
import { Worker } from 'node:worker_threads';
import { settle } from './helpers/settle';

function socketFds(): number {
  return fs.readdirSync('/proc/self/fd').filter((f) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${f}`).startsWith('socket:');
    } catch {
      return false; // closed while listing
    }
  }).length;
}

describe.runIf(process.platform === 'linux')('overlapped: worker terminated under a connect flood', () => {
  it('leaves no socket open', async () => {
    const before = socketFds();
    for (let round = 0; round < 60; round++) {
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
         const net = require('overlapped');
         const server = net.createServer((s) => s.on('error', () => {}));
         server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
        { eval: true },
      );
      const port = await new Promise<number>((resolve) => worker.once('message', resolve));
      const clients: nodeNet.Socket[] = [];
      let stop = false;
      // 50 dialers, each dialling again as soon as it connects: accepts are always in flight.
      const dial = () => {
        if (stop) return;
        const c = nodeNet.connect(port, '127.0.0.1');
        c.on('error', () => {});
        c.on('connect', dial);
        clients.push(c);
      };
      for (let i = 0; i < 50; i++) dial();
      await new Promise((r) => setTimeout(r, 30));
      await worker.terminate();
      stop = true;
      for (const c of clients) c.destroy();
    }
    // The descriptors go as the last closes complete: wait for that (10 s at most), then check.
    await settle(() => socketFds() === before, 10_000, 20);
    expect(socketFds()).toBe(before);
  }, 120_000);
});
