// Failed connections give node-shaped system errors: the same code, errno, syscall, address,
// port and message as node:net, an 'error' then a 'close' with hadError true.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { impls, overlapped } from './helpers/impls';

// A port nothing listens on: bind one, note it, close it.
async function closedPort(): Promise<number> {
  const s = nodeNet.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as nodeNet.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function connectError(net: typeof nodeNet, options: nodeNet.NetConnectOpts) {
  const socket = net.connect(options);
  const events: string[] = [];
  socket.on('close', (hadError) => events.push(`close:${hadError}`));
  const [err] = (await once(socket, 'error').catch((e) => [e])) as [NodeJS.ErrnoException & { address?: string; port?: number }];
  events.push('error');
  await once(socket, 'close');
  return { err, events, socket };
}

describe.each(impls)('%s: connect errors', (_name, net) => {
  it('ECONNREFUSED on a closed port', async () => {
    const port = await closedPort();
    const { err, events, socket } = await connectError(net as typeof nodeNet, { port, host: '127.0.0.1' });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.syscall).toBe('connect');
    expect(err.errno).toBeLessThan(0);
    expect(err.address).toBe('127.0.0.1');
    expect(err.port).toBe(port);
    expect(err.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(events).toEqual(['error', 'close:true']);
    expect(socket.destroyed).toBe(true);
  });

  it('connecting to port 0 fails with a system error, not a crash', async () => {
    const { err } = await connectError(net as typeof nodeNet, { port: 0, host: '127.0.0.1' });
    expect(err.syscall).toBe('connect');
    expect(['ECONNREFUSED', 'EADDRNOTAVAIL']).toContain(err.code);
  });

  it('an unresolvable host gives the lookup error', async () => {
    const { err } = await connectError(net as typeof nodeNet, { port: 80, host: 'no-such-host.invalid' });
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(err.code);
    expect(err.syscall).toBe('getaddrinfo');
  });

  it('bad ports and options throw the same coded errors as node:net', () => {
    // Through Socket#connect (what connect() calls) so that the socket can be destroyed after:
    // node:net makes its TCP handle before it checks the port, and that handle stays open
    // until the socket is destroyed.
    const Socket = (net as unknown as typeof nodeNet).Socket;
    const thrownBy = (options: nodeNet.NetConnectOpts): (Error & { code?: string }) | undefined => {
      const socket = new Socket();
      socket.on('error', () => {});
      try {
        socket.connect(options);
      } catch (e) {
        return e as Error & { code?: string };
      } finally {
        socket.destroy();
      }
      return undefined;
    };
    const cases: unknown[] = [-1, 65536, 1.5, 'abc1', NaN];
    for (const port of cases) {
      const thrown = thrownBy({ port: port as number, host: '127.0.0.1' });
      expect(thrown, `port ${String(port)}`).toBeInstanceOf(RangeError);
      expect(thrown!.code).toBe('ERR_SOCKET_BAD_PORT');
    }
    expect(thrownBy({ port: {} as unknown as number })).toEqual(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('overlapped: error shape matches node:net exactly', () => {
  it('same message and fields for ECONNREFUSED', async () => {
    const port = await closedPort();
    const a = await connectError(overlapped as unknown as typeof nodeNet, { port, host: '127.0.0.1' });
    const b = await connectError(nodeNet, { port, host: '127.0.0.1' });
    const pick = (e: NodeJS.ErrnoException & { address?: string; port?: number }) => ({
      message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port,
    });
    expect(pick(a.err)).toEqual(pick(b.err));
  });
});
