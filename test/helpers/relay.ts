// A relay to test: an overlapped server that relays each connection it accepts to a target
// with overlapped.relay(), and what each relay() settled with. The targets the tests use are
// node:net servers: peers independent of the code under test.
import type { AddressInfo, Server, Socket } from 'node:net';
import { once } from 'node:events';
import { overlapped, closeServer } from './impls';
import type { RelayResult } from '../../dist/cjs/index';

export interface TestRelay {
  port: number;
  /** One entry per accepted connection: what its relay() resolved or rejected with. */
  settled: Array<Promise<RelayResult>>;
  /** The relay's sockets: accepted, then upstream, per connection. */
  sockets: Array<[Socket, Socket]>;
  /** What the i-th connection's relay() rejected with (undefined if it resolved), once it settles. */
  failure(i: number): Promise<NodeJS.ErrnoException | undefined>;
  close(): Promise<void>;
}

/** target: a listening server, or a port. */
export async function startRelay(target: Server | number, options?: { highWaterMark?: number }): Promise<TestRelay> {
  const targetPort = typeof target === 'number' ? target : (target.address() as AddressInfo).port;
  const settled: Array<Promise<RelayResult>> = [];
  const sockets: Array<[Socket, Socket]> = [];
  const server = overlapped.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = overlapped.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push([client as unknown as Socket, upstream as unknown as Socket]);
    const p = overlapped.relay(client, upstream, options);
    p.catch(() => {}); // a test that expects a rejection awaits it itself
    settled.push(p);
  });
  // A backlog for the many-connection tests: 2000 connects at once overflow node's default
  // 511, and the kernel resets what does not fit (the same on node:net).
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    settled,
    sockets,
    async failure(i) {
      while (settled.length <= i) await new Promise((r) => setTimeout(r, 5));
      return settled[i].then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
    },
    close: () => closeServer(server as unknown as Server),
  };
}

/** Writes `data` to a socket and ends it, and collects everything it receives until 'end'. */
export function exchange(socket: Socket, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.end(data);
  });
}
