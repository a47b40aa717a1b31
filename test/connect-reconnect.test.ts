// connect() on a socket that has closed connects it again, as node:net re-initialises a
// destroyed socket (issue #11; overlapped threw ERR_SOCKET_CLOSED): a reconnect loop in the
// 'close' handler, after an orderly close and after a refused connect, sees the same events,
// data and byte counts on overlapped and node:net.
import { describe, expect, it } from 'vitest';
import * as nodeNet from 'node:net';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: connect() again after close', (_name, net) => {
  it('connects the same Socket three times, each round from a fresh state', async () => {
    const server = net.createServer((c) => c.on('data', (d) => c.end(d)));
    const port = await listen(server as never);
    const s = new (net as unknown as { Socket: new () => nodeNet.Socket }).Socket();
    const events: string[] = [];
    let round = 0;
    for (const e of ['connect', 'end', 'finish', 'error']) s.on(e, () => events.push(`${round} ${e}`));
    s.on('data', (d: Buffer) => events.push(`${round} data ${d} bytesRead=${s.bytesRead}`));
    await new Promise<void>((done) => {
      s.on('close', (hadError: boolean) => {
        events.push(`${round} close ${hadError}`);
        if (++round === 3) return done();
        s.connect(port, '127.0.0.1', () => s.write(`hello ${round}`));
        events.push(`${round} connecting=${s.connecting} destroyed=${s.destroyed}`);
      });
      s.connect(port, '127.0.0.1', () => s.write('hello 0'));
    });
    const expected: string[] = [];
    for (let r = 0; r < 3; r++) {
      if (r > 0) expected.push(`${r} connecting=true destroyed=false`);
      expected.push(`${r} connect`, `${r} data hello ${r} bytesRead=7`, `${r} end`, `${r} finish`, `${r} close false`);
    }
    expect(events).toEqual(expected);
    await closeServer(server as never);
  });

  it('connects again after a refused connect', async () => {
    const probe = nodeNet.createServer();
    const dead = await listen(probe);
    await closeServer(probe); // nothing listens there now
    const server = net.createServer((c) => c.end('hi'));
    const port = await listen(server as never);
    const s = net.connect(dead, '127.0.0.1');
    const events: string[] = [];
    s.on('error', (e) => events.push(`error ${(e as { code?: string }).code}`));
    s.on('connect', () => events.push('connect'));
    s.on('data', (d: Buffer) => events.push(`data ${d}`));
    await new Promise<void>((done) => {
      let closes = 0;
      s.on('close', (hadError: boolean) => {
        events.push(`close ${hadError}`);
        if (closes++ === 0) s.connect(port, '127.0.0.1');
        else done();
      });
    });
    expect(events).toEqual(['error ECONNREFUSED', 'close true', 'connect', 'data hi', 'close false']);
    await closeServer(server as never);
  });
});
