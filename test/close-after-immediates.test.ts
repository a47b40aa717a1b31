// A socket's 'close' comes a loop turn after 'finish' and 'end', as on node:net, whose
// 'close' is the handle's close callback (libuv's closing phase, after the setImmediate()s of
// that turn): an immediate queued at 'finish', at 'end' or just before destroy() runs before
// 'close', and a tick queued at 'close' runs before an immediate queued there (issue #11).
// Only each socket's own order is compared: how two sockets' events interleave depends on
// when the kernel delivers each packet.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

/** Logs the socket's events, each followed by a tick and an immediate queued from it. */
function trace(socket: Socket, events: string[]): string[] {
  const log: string[] = [];
  for (const ev of events) {
    socket.on(ev, () => {
      log.push(ev);
      process.nextTick(() => log.push(`tick ${ev}`));
      setImmediate(() => log.push(`imm ${ev}`));
    });
  }
  return log;
}

/** Whether `a` was logged, and before `b`. */
function before(log: string[], a: string, b: string): boolean {
  return log.indexOf(a) !== -1 && log.indexOf(a) < log.indexOf(b);
}

describe.each(impls)('%s: close after immediates', (_name, net) => {
  it("'close' follows the immediates queued at 'finish' and 'end', on both ends", async () => {
    let serverLog: string[] = [];
    let serverClosed: Promise<unknown> | undefined;
    const server = net.createServer((s: Socket) => {
      serverLog = trace(s, ['end', 'finish', 'close']);
      serverClosed = once(s, 'close');
      s.resume();
    });
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    const clientLog = trace(client, ['end', 'finish', 'close']);
    client.resume();
    client.on('connect', () => client.end('x'));
    await once(client, 'close');
    await serverClosed;
    // Let the immediates queued at 'close' run.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    for (const log of [clientLog, serverLog]) {
      expect(before(log, 'imm finish', 'close'), log.join(', ')).toBe(true);
      expect(before(log, 'imm end', 'close'), log.join(', ')).toBe(true);
      expect(log.slice(log.indexOf('close')), log.join(', ')).toEqual(['close', 'tick close', 'imm close']);
    }
    await closeServer(server);
  });

  it("destroy(): 'close' follows an immediate queued just before it", async () => {
    const server = net.createServer((s: Socket) => s.resume());
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    const log: string[] = [];
    client.on('connect', () => {
      setImmediate(() => log.push('immediate'));
      client.destroy();
      log.push('destroyed');
    });
    client.on('close', () => log.push('close'));
    await once(client, 'close');
    expect(log).toEqual(['destroyed', 'immediate', 'close']);
    await closeServer(server);
  });
});
