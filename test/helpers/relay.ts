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
  close(): Promise<void>;
}

export async function startRelay(target: Server, options?: { highWaterMark?: number }): Promise<TestRelay> {
  const targetPort = (target.address() as AddressInfo).port;
  const settled: Array<Promise<RelayResult>> = [];
  const sockets: Array<[Socket, Socket]> = [];
  const server = overlapped.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = overlapped.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push([client as unknown as Socket, upstream as unknown as Socket]);
    const p = overlapped.relay(client, upstream, options);
    p.catch(() => {}); // a test that expects a rejection awaits it itself
    settled.push(p);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    settled,
    sockets,
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
