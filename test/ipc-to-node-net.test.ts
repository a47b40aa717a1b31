// IPC paths (Unix sockets; named pipes on Windows) are handed to node:net (issue #11: they
// threw): listen(path) serves through a node:net server whose events the Server re-emits, and
// net.connect(path) / createConnection({ path }) return node:net's Socket. The same program
// runs on overlapped and node:net and must see the same.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nodeNet from 'node:net';
import { impls, pattern, readAll, sha256 } from './helpers/impls';

let n = 0;
const pipePath = (): string =>
  process.platform === 'win32'
    ? `\\\\?\\pipe\\overlapped-test-${process.pid}-${n++}`
    : path.join(os.tmpdir(), `overlapped-test-${process.pid}-${n++}.sock`);

describe.each(impls)('%s: IPC paths', (_name, net) => {
  it('listen(path) and connect(path): an echo, address(), getConnections() and close()', async () => {
    const where = pipePath();
    let serverSideClosed!: Promise<unknown>;
    const server = net.createServer((c) => {
      serverSideClosed = new Promise((r) => c.on('close', r));
      c.pipe(c);
    });
    server.listen(where);
    await once(server, 'listening');
    expect(server.listening).toBe(true);
    expect(server.address()).toBe(where);
    const c = net.connect(where);
    const got = readAll(c as never);
    c.end('over ipc');
    expect(String(await got)).toBe('over ipc');
    await new Promise((r) => c.on('close', r));
    await serverSideClosed; // the client's close does not mean the server has seen it yet
    const count = await new Promise<number>((r) => server.getConnections((_e, k) => r(k)));
    expect(count).toBe(0);
    await new Promise<void>((r) => server.close(() => r()));
    expect(server.listening).toBe(false);
    expect(server.address()).toBe(where); // node:net keeps a pipe server's name
  });

  it('listen({ path }) and createConnection({ path })', async () => {
    const where = pipePath();
    const server = net.createServer((c) => c.end('hi'));
    server.listen({ path: where });
    await once(server, 'listening');
    const c = net.createConnection({ path: where });
    expect(String(await readAll(c as never))).toBe('hi');
    await new Promise<void>((r) => server.close(() => r()));
  });
});

// `new Socket()` then `connect(path)`, as node-postgres does for a Unix socket: a Socket of
// overlapped's own connects the path through a node:net socket it drives underneath, and
// shows the program what node:net's Socket shows.
describe.each(impls)('%s: new Socket().connect(path)', (_name, net) => {
  const Socket = (net as unknown as { Socket: typeof import('node:net').Socket }).Socket;

  it('echoes 1 MiB with the events, addresses and counts of node:net', async () => {
    const where = pipePath();
    const server = nodeNet.createServer((c) => c.pipe(c));
    server.listen(where);
    await once(server, 'listening');
    try {
      const events: string[] = [];
      const s = new Socket();
      for (const e of ['connect', 'ready', 'end', 'finish']) s.on(e, () => events.push(e));
      s.on('close', (hadError: boolean) => events.push(`close(${hadError})`));
      s.connect(where);
      expect(s.connecting).toBe(true);
      expect(s.pending).toBe(true);
      const payload = pattern(1 << 20, 7);
      const got = readAll(s);
      s.end(payload);
      expect(sha256(await got)).toBe(sha256(payload));
      if (!events.includes('close(false)')) await once(s, 'close');
      // 'finish' and 'end' race (our FIN against the echo's): each once, between.
      expect(events.slice(0, 2)).toEqual(['connect', 'ready']);
      expect(events.slice(2, 4).sort()).toEqual(['end', 'finish']);
      expect(events.slice(4)).toEqual(['close(false)']);
      expect(s.bytesRead).toBe(payload.length);
      expect(s.bytesWritten).toBe(payload.length);
      expect(s.remoteAddress).toBeUndefined();
      expect(s.destroyed).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a path nobody listens on: the error node:net gives, then close(true)', async () => {
    const where = pipePath();
    const s = new Socket();
    const events: string[] = [];
    s.on('close', (hadError: boolean) => events.push(`close(${hadError})`));
    const [err] = (await once(s.connect({ path: where }), 'error')) as [Error & Record<string, unknown>];
    events.push('error');
    if (!events.includes('close(true)')) await once(s, 'close');
    expect(events).toEqual(['error', 'close(true)']);
    expect({ code: err.code, syscall: err.syscall, address: err.address, message: err.message }).toEqual(
      await new Promise((resolve) => {
        const ref = nodeNet.connect(where);
        ref.on('error', (e: Error & Record<string, unknown>) =>
          resolve({ code: e.code, syscall: e.syscall, address: e.address, message: e.message }),
        );
      }),
    );
  });

  it('resetAndDestroy() on a connected pipe socket is refused, as node:net refuses it', async () => {
    const where = pipePath();
    const server = nodeNet.createServer((c) => c.on('error', () => {}));
    server.listen(where);
    await once(server, 'listening');
    try {
      const s = new Socket();
      s.connect(where);
      await once(s, 'connect');
      let code: unknown;
      try {
        s.resetAndDestroy();
      } catch (e) {
        code = (e as { code?: unknown }).code;
      }
      expect(code).toBe('ERR_INVALID_HANDLE_TYPE');
      s.destroy();
      await once(s, 'close');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a paused socket reads no further, and resumes where it stopped', async () => {
    const where = pipePath();
    const payload = pattern(4 << 20, 3);
    const server = nodeNet.createServer((c) => c.end(payload));
    server.listen(where);
    await once(server, 'listening');
    try {
      const s = new Socket({ highWaterMark: 16 * 1024 } as never);
      s.connect(where);
      s.pause();
      await once(s, 'connect');
      await new Promise((r) => setTimeout(r, 200));
      // Paused, the stream holds at most about its high water mark (plus what one read gave).
      expect(s.readableLength).toBeLessThan(1 << 20);
      const all = readAll(s);
      s.resume(); // explicitly paused: a 'data' listener alone does not resume
      expect(sha256(await all)).toBe(sha256(payload));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
