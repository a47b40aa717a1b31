// IPC paths (Unix sockets; named pipes on Windows) are handed to node:net (issue #11: they
// threw): listen(path) serves through a node:net server whose events the Server re-emits, and
// net.connect(path) / createConnection({ path }) return node:net's Socket. The same program
// runs on overlapped and node:net and must see the same. A Socket of overlapped's own still
// refuses a path (docs/api.md): it drives TCP only.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { impls, overlapped, readAll } from './helpers/impls';

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

describe('overlapped: a Socket of its own and an IPC path', () => {
  it('refuses it with ERR_OVERLAPPED_UNSUPPORTED, naming connect() as the way', () => {
    const s = new overlapped.Socket();
    let err: (Error & { code?: string }) | undefined;
    try {
      s.connect({ path: pipePath() } as never);
    } catch (e) {
      err = e as Error & { code?: string };
    } finally {
      s.destroy();
    }
    expect(err?.code).toBe('ERR_OVERLAPPED_UNSUPPORTED');
    expect(err?.message.includes('net.connect()')).toBe(true);
  });
});
