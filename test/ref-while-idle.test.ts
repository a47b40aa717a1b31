// A socket keeps the process alive only while it is active, as node:net's (a libuv handle's)
// does: connecting, with a write in flight, or reading. A paused socket, one whose reader has
// stopped taking data, or one past end-of-stream with nothing to write lets the process exit
// even though it is open and referenced (issue #11: a paused client kept overlapped's process
// running forever). Each case runs in a child process, on overlapped and on node:net.
import { describe, expect, it } from 'vitest';
import { exitsWithin } from './helpers/run-node';

// Every case serves from an unref()ed server whose accepted sockets are unref()ed, so that
// only the client socket under test can hold the process.
const serve = (onConnection: string, client: string) => `
  const server = net.createServer((c) => { c.unref(); c.on('error', () => {}); ${onConnection} });
  server.listen(0, '127.0.0.1', () => { const s = net.connect(server.address().port, '127.0.0.1'); s.on('error', () => {}); ${client} });
  server.unref();`;

describe.each(['overlapped', 'node:net'])('%s: an open socket and the event loop', (mod) => {
  it('a paused, connected socket with nothing to write lets the process exit', async () => {
    expect(await exitsWithin(mod, serve('', 's.pause();'), 5000)).toBe(true);
  });

  it('a socket past end-of-stream, its data unread, lets the process exit', async () => {
    const code = serve(`c.end('hello');`, `s.on('end', () => {}); setTimeout(() => s.pause(), 0);`);
    expect(await exitsWithin(mod, code, 5000)).toBe(true);
  });

  it('a socket whose reader stopped taking data (push() refused) lets the process exit', async () => {
    const code = serve('c.write(Buffer.alloc(1 << 20));', `s.once('readable', () => {});`);
    expect(await exitsWithin(mod, code, 5000)).toBe(true);
  });

  it('a reading socket keeps the process alive', async () => {
    expect(await exitsWithin(mod, serve('', `s.on('data', () => {});`), 1500)).toBe(false);
  });

  it('a paused socket with a write in flight keeps the process alive', async () => {
    // The peer reads nothing: 64 MiB cannot all leave, so the write stays in flight.
    const code = serve('c.pause();', 's.pause(); s.write(Buffer.alloc(64 << 20));');
    expect(await exitsWithin(mod, code, 1500)).toBe(false);
  });
});
