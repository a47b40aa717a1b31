// createServer() checks the options its accepted sockets are built from when they are given,
// as node:net does, instead of failing at every accept (issue #11: an uncaught exception per
// connection, the peer left waiting, the native socket never closed).
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { closeServer, impls, listen, overlapped } from './helpers/impls';

describe.each(impls)('%s: bad createServer() options', (_name, net) => {
  it.each([
    ['highWaterMark', '5'],
    ['highWaterMark', null],
    ['keepAliveInitialDelay', 5n],
    ['keepAliveInitialDelay', '5'],
    ['keepAliveInitialDelay', null],
  ])('%s: %s is refused with ERR_INVALID_ARG_TYPE', (key, value) => {
    expect(() => net.createServer({ [key]: value } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => new (net as typeof nodeNet).Server({ [key]: value } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('a negative highWaterMark means the default, and connections are served', async () => {
    let hwm: number | undefined;
    const server = net.createServer({ highWaterMark: -1 }, (s) => {
      hwm = s.readableHighWaterMark;
      s.end('hello');
    });
    const port = await listen(server as nodeNet.Server);
    const c = nodeNet.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    await once(c, 'end');
    c.destroy();
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    expect(hwm).toBe(getDefaultHighWaterMark(false));
    await closeServer(server as nodeNet.Server);
  });
});

// node:net takes NaN, 1.5 or Infinity here and then throws at every accept (its stream
// constructor's ERR_INVALID_ARG_VALUE, the very failure of issue #11); overlapped raises that
// error at createServer() instead.
describe('overlapped: a highWaterMark no stream takes', () => {
  it.each([NaN, 1.5, Infinity])('%s is refused with ERR_INVALID_ARG_VALUE', (value) => {
    expect(() => overlapped.createServer({ highWaterMark: value })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
