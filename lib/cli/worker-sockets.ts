// The relay on the node backend (no addon): each connection is a pair of Sockets joined by
// openRelay(), which falls back to forwarding in JS there. worker-native.ts is the relay on
// the native backends, where no Socket is made at all.
import type { AddressInfo } from 'node:net';

import * as overlapped from '../index';
import { openRelay, type OpenRelay } from '../relay';
import type { RelayConfig } from './args';
import type { Balancer, Target, Worker } from './balance';
import { proxyHeader } from './proxy-header';

type Socket = overlapped.Socket;

interface Conn {
  client: Socket;
  upstream: Socket | undefined;
  relay: OpenRelay | undefined;
  moved: number; // bytes both ways at the last look
  quietSince: number;
}

export async function startSocketWorker(config: RelayConfig, b: Balancer, reusePort: boolean): Promise<Worker> {
  const log = b.log;
  const live = new Set<Conn>();
  let draining = false;

  const finish = (conn: Conn, how: string): void => {
    if (!live.delete(conn)) return;
    const bytes = conn.relay?.bytes();
    b.finished(how, bytes?.aToB ?? 0, bytes?.bToA ?? 0);
  };

  const connectUpstream = (conn: Conn, tried: Set<Target>): void => {
    const t = b.pick(tried);
    if (t === undefined || conn.client.destroyed) {
      log('no-target', { client: `${conn.client.remoteAddress}:${conn.client.remotePort}` });
      conn.client.destroy();
      finish(conn, 'error');
      return;
    }
    tried.add(t);
    const localAddress = b.source();
    // No Nagle either side: a relay forwards what arrives as it arrives, and must not hold a
    // small message back for the peer's delayed ACK (40 ms a round trip), as HAProxy does not.
    const up = overlapped.connect({ host: t.host, port: t.port, localAddress, allowHalfOpen: true, noDelay: true }) as unknown as Socket;
    conn.upstream = up;
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`connect ETIMEDOUT ${t.name}`), { code: 'ETIMEDOUT', syscall: 'connect' });
      up.destroy(err);
    }, config.connectTimeout);
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      b.failed(t, err.code, localAddress);
      if (!draining && tried.size < b.targets.length) {
        connectUpstream(conn, tried);
      } else {
        log('no-target', { client: `${conn.client.remoteAddress}:${conn.client.remotePort}`, tried: tried.size });
        conn.client.destroy();
        finish(conn, 'error');
      }
    };
    up.once('error', onError);
    up.once('connect', () => {
      clearTimeout(timer);
      up.removeListener('error', onError);
      b.up(t);
      if (conn.client.destroyed) {
        up.destroy();
        finish(conn, 'error');
        return;
      }
      if (config.proxyProtocol !== undefined) {
        up.write(
          proxyHeader(config.proxyProtocol, {
            srcAddress: conn.client.remoteAddress ?? '',
            srcPort: conn.client.remotePort ?? 0,
            dstAddress: conn.client.localAddress ?? '',
            dstPort: conn.client.localPort ?? 0,
          }),
        );
      }
      conn.relay = openRelay(conn.client, up, { highWaterMark: config.highWaterMark });
      conn.relay.done.then(
        () => finish(conn, 'ok'),
        (err: NodeJS.ErrnoException) => {
          if (!live.has(conn)) return; // closed by the idle sweep or the drain
          finish(conn, 'error');
          log('relay-error', { target: t.name, code: err.code ?? err.message });
        },
      );
    });
  };

  const server = overlapped.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    b.accepted++;
    const c = client as unknown as Socket;
    if (draining) {
      c.destroy();
      return;
    }
    c.setNoDelay(true);
    const conn: Conn = { client: c, upstream: undefined, relay: undefined, moved: 0, quietSince: Date.now() };
    live.add(conn);
    // Until the relay owns it, a client's error only ends it.
    c.on('error', () => {});
    c.once('close', () => {
      if (conn.relay === undefined) {
        conn.upstream?.destroy();
        finish(conn, 'error');
      }
    });
    connectUpstream(conn, new Set());
  });
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.listen.host, port: config.listen.port, backlog: 4096, reusePort }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  server.on('error', (err: NodeJS.ErrnoException) => log('accept-error', { code: err.code ?? err.message }));

  // Idle connections: no byte either way for idleTimeout. One sweep for all of them.
  let sweeper: NodeJS.Timeout | undefined;
  if (config.idleTimeout > 0) {
    sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const conn of live) {
          if (conn.relay === undefined) continue;
          const bytes = conn.relay.bytes();
          const moved = bytes.aToB + bytes.bToA;
          if (moved !== conn.moved) {
            conn.moved = moved;
            conn.quietSince = now;
          } else if (now - conn.quietSince >= config.idleTimeout) {
            finish(conn, 'idle');
            conn.client.destroy();
            conn.upstream?.destroy();
          }
        }
      },
      Math.max(10, Math.min(1000, config.idleTimeout / 4)),
    );
    sweeper.unref();
  }

  return {
    port: (server.address() as AddressInfo).port,
    figures() {
      let up = b.doneUp;
      let down = b.doneDown;
      for (const conn of live) {
        if (conn.relay === undefined) continue;
        const bytes = conn.relay.bytes();
        up += bytes.aToB;
        down += bytes.bToA;
      }
      return { connections: live.size, bytesUp: up, bytesDown: down };
    },
    async drain(timeout) {
      draining = true;
      server.close();
      if (sweeper) clearInterval(sweeper);
      const deadline = Date.now() + timeout;
      while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const conn of [...live]) {
        finish(conn, 'drain');
        conn.client.destroy();
        conn.upstream?.destroy();
      }
    },
  };
}
