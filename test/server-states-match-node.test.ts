// Each public Server call, in each state a server goes through (never listened, listen()
// called and its host still resolving, listening, with a connection, closing with that
// connection open, closed), gives node:net's answer: the same return value, the same events
// in the same order, the same state after (issue #11). The two runs are compared as a whole,
// one record per call and state. Ports differ between the runs; that there is one is what
// counts.
import { describe, expect, it } from 'vitest';
import * as nodeNet from 'node:net';
import { overlapped } from './helpers/impls';
import { outcomeOf } from './helpers/outcome';

type Net = typeof nodeNet;
type Log = (line: string) => void;
const STATES = ['never listened', 'listen() called', 'listening', 'with a connection', 'closing', 'closed'] as const;

const props = (s: nodeNet.Server): string =>
  `${outcomeOf(() => ({ listening: s.listening, maxConnections: s.maxConnections }), s)} ${outcomeOf(() => s.address(), s)}`;

const CALLS: Record<string, (s: nodeNet.Server, log: Log) => unknown> = {
  'listen(0, host)': (s) => s.listen(0, '127.0.0.1'),
  'listen(0, host, cb)': (s, log) => s.listen(0, '127.0.0.1', () => log('listen cb')),
  'listen(0)': (s) => s.listen(0),
  'close()': (s) => s.close(),
  'close(cb)': (s, log) => s.close((e) => log(`close cb ${(e as { code?: string })?.code ?? e}`)),
  'address()': (s) => s.address(),
  'getConnections(cb)': (s, log) => s.getConnections((e, n) => log(`connections ${(e as { code?: string })?.code ?? e} ${n}`)),
  'ref()': (s) => s.ref(),
  'unref()': (s) => s.unref(),
  'maxConnections = 1': (s) => {
    s.maxConnections = 1;
    return s.maxConnections;
  },
  'the properties': (s) => props(s),
};

async function inState(net: Net, state: (typeof STATES)[number]): Promise<[nodeNet.Server, nodeNet.Socket?]> {
  const s = net.createServer((c) => c.on('error', () => {}));
  s.on('error', () => {});
  if (state === 'never listened') return [s];
  s.listen(0, '127.0.0.1');
  if (state === 'listen() called') return [s];
  await new Promise((r) => s.once('listening', r));
  if (state === 'listening') return [s];
  const c = nodeNet.connect((s.address() as nodeNet.AddressInfo).port, '127.0.0.1');
  c.on('error', () => {});
  await new Promise((r) => s.once('connection', r));
  if (state === 'with a connection') return [s, c];
  s.close();
  if (state === 'closing') return [s, c];
  c.destroy();
  await new Promise((r) => s.once('close', r));
  return [s];
}

async function record(net: Net, state: (typeof STATES)[number], call: string): Promise<string> {
  const lines: string[] = [];
  const log: Log = (line) => lines.push(line);
  const [s, c] = await inState(net, state);
  for (const event of ['listening', 'close', 'connection']) s.on(event, () => log(event));
  s.on('error', (e: Error & { code?: string }) => log(`error ${e.code}`));
  log(`returns ${outcomeOf(() => CALLS[call](s, log), s)}`);
  await new Promise((r) => setTimeout(r, 50));
  log(`then ${props(s)}`);
  c?.destroy();
  await new Promise<void>((r) => s.close(() => r()));
  return lines.join(' | ');
}

describe.skipIf(overlapped.backend === 'node')('overlapped: each Server call in each state, as node:net', () => {
  for (const state of STATES) {
    it.each(Object.keys(CALLS))(`${state}: %s`, async (call) => {
      const ours = await record(overlapped as unknown as Net, state, call);
      const node = await record(nodeNet, state, call);
      expect(ours).toBe(node);
    });
  }
});
