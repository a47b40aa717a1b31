// Wrong arguments get node:net's answer: the same throw or no throw, the same error class,
// code and message (issue #11). Each call runs on overlapped and on node:net, and the two
// outcomes are compared as a whole. Sockets are made with `new Socket()` and destroyed after:
// node:net makes a socket's handle before it checks connect()'s options.
import { describe, expect, it } from 'vitest';
import * as nodeNet from 'node:net';
import { overlapped } from './helpers/impls';

type Net = typeof nodeNet;
type Outcome = { threw: false; returned: string } | { threw: true; name: string; code: unknown; message: string };

function outcome(fn: () => unknown): Outcome {
  try {
    const r = fn();
    return { threw: false, returned: r === undefined ? 'undefined' : (r as object)?.constructor?.name ?? typeof r };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { threw: true, name: err.name, code: err.code, message: err.message };
  }
}

// Each case gets a fresh socket or server, closed after the call.
const socketCases: Array<[string, (s: nodeNet.Socket) => unknown]> = [
  ['connect()', (s) => (s.connect as () => unknown)()],
  ['connect({})', (s) => s.connect({} as never)],
  ["connect({ host: 'x' })", (s) => s.connect({ host: 'x' } as never)],
  ['connect(null)', (s) => s.connect(null as never)],
  ['connect({ port: -1 })', (s) => s.connect({ port: -1 })],
  ["connect({ port: 'abc' })", (s) => s.connect({ port: 'abc' as never })],
  ['connect({ port: 65536 })', (s) => s.connect({ port: 65536 })],
  ['connect({ port: true })', (s) => s.connect({ port: true as never })],
  ["connect({ port: 9, localAddress: 'nope' })", (s) => s.connect({ port: 9, localAddress: 'nope' })],
  ["connect({ port: 9, localPort: 'x' })", (s) => s.connect({ port: 9, host: '127.0.0.1', localPort: 'x' as never })],
  ['connect({ port: 9, autoSelectFamily: 1 })', (s) => s.connect({ port: 9, autoSelectFamily: 1 as never })],
  ['connect({ port: 9, autoSelectFamilyAttemptTimeout: -5 })', (s) => s.connect({ port: 9, autoSelectFamilyAttemptTimeout: -5 })],
  ["setTimeout('100')", (s) => s.setTimeout('100' as never)],
  ['setTimeout(-1)', (s) => s.setTimeout(-1)],
  ['setTimeout(Infinity)', (s) => s.setTimeout(Infinity)],
  ['setTimeout(0, 5)', (s) => s.setTimeout(0, 5 as never)],
  ['setNoDelay()', (s) => s.setNoDelay()],
  ['setKeepAlive(true, null)', (s) => s.setKeepAlive(true, null as never)],
  ['destroySoon()', (s) => s.destroySoon()],
];

const serverCases: Array<[string, (s: nodeNet.Server) => unknown]> = [
  ['listen({})', (s) => s.listen({})],
  ["listen({ host: 'x' })", (s) => s.listen({ host: 'x' })],
  ['listen({ port: 0, signal: 1 })', (s) => s.listen({ port: 0, signal: 1 as never })],
  ['listen({ port: 0, signal: null })', (s) => s.listen({ port: 0, signal: null as never })],
  ['listen({ port: -1 })', (s) => s.listen({ port: -1 })],
  ['listen({ port: 65536 })', (s) => s.listen({ port: 65536 })],
  ['listen(65536)', (s) => s.listen(65536)],
  ["listen({ port: 'x1' })", (s) => s.listen({ port: 'x1' as never })],
  ['close(5) while not listening', (s) => s.close(5 as never)],
  ['close(null) while not listening', (s) => s.close(null as never)],
];

function onBoth<T>(make: (net: Net) => T, call: (x: T) => unknown, done: (x: T) => void): [Outcome, Outcome] {
  const run = (net: Net): Outcome => {
    const x = make(net);
    try {
      return outcome(() => call(x));
    } finally {
      done(x);
    }
  };
  return [run(overlapped as unknown as Net), run(nodeNet)];
}

describe('overlapped: errors for wrong arguments, as node:net gives them', () => {
  it.each(socketCases)('socket.%s', (_title, call) => {
    const [ours, node] = onBoth((net) => new net.Socket(), call, (s) => s.destroy());
    expect(ours).toEqual(node);
  });

  it.each(serverCases)('server.%s', (_title, call) => {
    const [ours, node] = onBoth((net) => new net.Server(), call, (s) => s.close());
    expect(ours).toEqual(node);
  });

  it('Socket() and Server() without new make instances, and Stream is Socket', () => {
    const socket = (overlapped.Socket as unknown as () => nodeNet.Socket)();
    const server = (overlapped.Server as unknown as () => nodeNet.Server)();
    try {
      expect(socket).toBeInstanceOf(overlapped.Socket);
      expect(server).toBeInstanceOf(overlapped.Server);
      expect((overlapped as unknown as { Stream: unknown }).Stream).toBe(overlapped.Socket);
      expect((nodeNet as unknown as { Stream: unknown }).Stream).toBe(nodeNet.Socket);
    } finally {
      socket.destroy();
      server.close();
    }
  });
});
