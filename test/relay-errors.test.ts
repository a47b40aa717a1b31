// relay(a, b) when something goes wrong: a peer's reset, a peer that goes away, a target that
// refuses the connection, and bad arguments. The promise rejects with the error (shaped as
// node:net's: code, errno, syscall), both sockets are closed, and nothing is left open.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { closeServer, overlapped } from './helpers/impls';
import { startRelay } from './helpers/relay';

async function listening(server: net.Server): Promise<net.Server> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function allClosed(sockets: net.Socket[]): Promise<void> {
  await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
}

describe('relay(): errors', () => {
  it('a target that resets: rejects with ECONNRESET and closes the client', async () => {
    const target = await listening(
      net.createServer((s) => {
        s.once('data', () => s.resetAndDestroy());
      }),
    );
    const relay = await startRelay(target);
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1' });
      client.on('error', () => {}); // the relay's close may reach it as a reset
      client.write('hello');
      const err = (await relay.failure(0)) as NodeJS.ErrnoException;
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe('ECONNRESET');
      expect(err.syscall).toBe('read');
      expect(typeof err.errno).toBe('number');
      await allClosed([client, ...relay.sockets[0]]);
    } finally {
      await relay.close();
      await closeServer(target);
    }
  });

  it('a client that goes away mid-relay: rejects, and the target sees its connection close', async () => {
    let targetSide: net.Socket | undefined;
    const target = await listening(
      net.createServer((s) => {
        targetSide = s;
        s.on('error', () => {});
        s.resume();
      }),
    );
    const relay = await startRelay(target);
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1' });
      client.write('some bytes');
      while (targetSide === undefined) await new Promise((r) => setTimeout(r, 5));
      client.resetAndDestroy();
      const err = (await relay.failure(0)) as NodeJS.ErrnoException;
      expect(err).toBeInstanceOf(Error);
      // The reset, or (when the client's close came as a FIN first) a premature close.
      expect(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE']).toContain(err.code);
      await allClosed([targetSide, ...relay.sockets[0]]);
    } finally {
      await relay.close();
      await closeServer(target);
    }
  });

  it('a target that refuses: rejects with ECONNREFUSED and closes the client', async () => {
    const gone = await listening(net.createServer());
    const port = (gone.address() as net.AddressInfo).port;
    // The relay takes its own port while `gone` still holds this one: a port just freed
    // could otherwise be the relay's own, which would then relay to itself.
    const relay = await startRelay(port);
    await closeServer(gone); // nothing listens on port now
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1' });
      client.on('error', () => {});
      const err = (await relay.failure(0)) as NodeJS.ErrnoException;
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.syscall).toBe('connect');
      await allClosed([client, ...relay.sockets[0]]);
    } finally {
      await relay.close();
    }
  });

  it('bad arguments throw at once, as node does', () => {
    const a = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    const b = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    expect(() => overlapped.relay(1 as never, b)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => overlapped.relay(a, {} as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => overlapped.relay(a, a)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => overlapped.relay(a, b, 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => overlapped.relay(a, b, { highWaterMark: '1' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    for (const hwm of [0, -1, 1.5, 2 ** 31, NaN])
      expect(() => overlapped.relay(a, b, { highWaterMark: hwm })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    a.destroy();
    b.destroy();
  });
});
