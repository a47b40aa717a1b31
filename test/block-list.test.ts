// blockList, as node:net applies it from Node 23.4 (issue #11: it was re-exported and
// ignored; Node 20's node:net ignores it too, so these cases state the later Node's behaviour
// instead of comparing with this one's). A server closes a blocked peer before
// 'connection'; a socket does not connect to a blocked address (ERR_IP_BLOCKED), and with
// several addresses that attempt fails and the next is tried.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { closeServer, listen, overlapped } from './helpers/impls';

const blocking = (...addresses: string[]): nodeNet.BlockList => {
  const list = new overlapped.BlockList();
  for (const a of addresses) list.addAddress(a);
  return list;
};

describe('overlapped: a server with a blockList', () => {
  it('closes a blocked peer unseen and serves one the list does not name', async () => {
    for (const [list, served] of [
      [blocking('127.0.0.1'), false],
      [blocking('10.1.2.3'), true],
    ] as const) {
      let connections = 0;
      const server = overlapped.createServer({ blockList: list } as never, (c) => {
        connections++;
        c.end('hi');
      });
      const port = await listen(server as never);
      try {
        const c = nodeNet.connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        c.on('data', (d) => chunks.push(d));
        c.on('error', () => {}); // a reset is as good as an end for the blocked peer
        await once(c, 'close');
        expect({ connections, got: String(Buffer.concat(chunks)) }).toEqual(served ? { connections: 1, got: 'hi' } : { connections: 0, got: '' });
      } finally {
        await closeServer(server as never);
      }
    }
  });

  it('takes only a net.BlockList (a falsy one is none), as node:net', () => {
    let err: (Error & { code?: string }) | undefined;
    try {
      overlapped.createServer({ blockList: {} } as never);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(err?.message).toBe('The "options.blockList" property must be net.BlockList. Received an instance of Object');
    expect(() => overlapped.createServer({ blockList: 0 } as never).close()).not.toThrow();
  });
});

// Node 20's node:net has no blockList for connect(), and the node backend is node:net.
describe.skipIf(overlapped.backend === 'node')('overlapped: a socket with a blockList', () => {
  it('does not connect to a blocked address: connectionAttempt, then ERR_IP_BLOCKED', async () => {
    let connections = 0;
    const server = nodeNet.createServer(() => connections++);
    const port = await listen(server);
    try {
      const s = new overlapped.Socket({ blockList: blocking('127.0.0.1') } as never);
      const events: string[] = [];
      s.on('connectionAttempt', (address: string) => events.push(`attempt ${address}`));
      s.on('close', () => events.push('close'));
      s.connect(port, '127.0.0.1');
      const [err] = (await once(s, 'error')) as [Error & { code?: string }];
      expect(err.code).toBe('ERR_IP_BLOCKED');
      expect(err.message).toBe('IP(127.0.0.1) is blocked by net.BlockList');
      await once(s, 'close');
      expect(events).toEqual(['attempt 127.0.0.1', 'close']);
      await new Promise((r) => setTimeout(r, 50));
      expect(connections).toBe(0);
    } finally {
      await closeServer(server);
    }
  });

  it('trying several addresses, a blocked one fails with ERR_IP_BLOCKED and the next is tried', async () => {
    const server = nodeNet.createServer((c) => c.end('hi'));
    const port = await listen(server);
    try {
      const s = overlapped.connect({
        host: 'example.test',
        port,
        autoSelectFamily: true,
        blockList: blocking('127.0.0.2'),
        // Two IPv4 addresses: the first blocked, the second the server's. Answered a turn
        // later, as a resolver would, so that the listeners below are there for the attempts.
        lookup: ((_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
          setImmediate(() =>
            cb(null, [
              { address: '127.0.0.2', family: 4 },
              { address: '127.0.0.1', family: 4 },
            ]),
          )) as never,
      } as never);
      const failed: string[] = [];
      s.on('connectionAttemptFailed', (address: string, _p: number, _f: number, err: Error & { code?: string }) =>
        failed.push(`${address} ${err.code}`),
      );
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      await once(s, 'end');
      expect(String(Buffer.concat(chunks))).toBe('hi');
      expect(failed).toEqual(['127.0.0.2 ERR_IP_BLOCKED']);
      expect(s.autoSelectFamilyAttemptedAddresses).toEqual([`127.0.0.2:${port}`, `127.0.0.1:${port}`]);
      s.destroy();
    } finally {
      await closeServer(server);
    }
  });

  it('takes only a net.BlockList, and keeps it across a reconnect', async () => {
    expect(() => new overlapped.Socket({ blockList: [] } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const s = new overlapped.Socket({ blockList: blocking('127.0.0.1') } as never);
    s.connect(9, '127.0.0.1');
    expect(((await once(s, 'error')) as [Error & { code?: string }])[0].code).toBe('ERR_IP_BLOCKED');
    await once(s, 'close');
    s.connect(9, '127.0.0.1');
    expect(((await once(s, 'error')) as [Error & { code?: string }])[0].code).toBe('ERR_IP_BLOCKED');
    await once(s, 'close');
  });
});
