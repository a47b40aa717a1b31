// overlapped: node:net's TCP API over completion-based I/O (io_uring on Linux, IOCP on
// Windows) with pooled, bounded receive buffers. `import net from 'overlapped'` and code
// written for node:net keeps working; see docs/api.md for what differs.
import * as netUtil from 'node:net';

import { backendName, ensureStarted, native, type NativeStats } from './binding';
import { budgetStats, type BudgetStats } from './budget';
import { configure, type OverlappedConfig } from './config';
import { Server, type ListenOptions, type ServerOpts } from './server';
import { Socket, type OnReadOpts, type SocketConstructorOpts, type TcpSocketConnectOpts } from './socket';

export { Server, Socket };
export type { ListenOptions, OnReadOpts, ServerOpts, SocketConstructorOpts, TcpSocketConnectOpts };
export type { SocketBufferLimitError, SystemError } from './errors';
export { configure };
export type { OverlappedConfig };
export type { AddressInfo } from 'node:net';

/** Which backend this environment uses: 'io_uring' (Linux) or 'iocp' (Windows). */
export const backend: string = backendName;

/**
 * Counters and peaks: the receive pool (native), the write budget (userland queues), sockets
 * and accepts. See docs/api.md for each field.
 */
export type Stats = NativeStats &
  BudgetStats & {
    /** Times a server stopped accepting at maxConnections. */
    acceptPausesAtMaxConnections: number;
  };

/** A snapshot of all counters. Cheap enough to call every second with thousands of sockets. */
export function stats(): Stats {
  ensureStarted();
  return { ...native.stats(), ...budgetStats(), acceptPausesAtMaxConnections: Server.acceptPauses };
}

/** Creates a TCP server, as node:net's createServer(). */
export function createServer(connectionListener?: (socket: Socket) => void): Server;
export function createServer(options?: ServerOpts, connectionListener?: (socket: Socket) => void): Server;
export function createServer(options?: unknown, connectionListener?: unknown): Server {
  return new Server(options as ServerOpts, connectionListener as (socket: Socket) => void);
}

type ConnectOpts = TcpSocketConnectOpts & SocketConstructorOpts;

/** Opens a TCP connection, as node:net's connect(). */
export function connect(options: ConnectOpts, connectionListener?: () => void): Socket;
export function connect(port: number | string, host?: string, connectionListener?: () => void): Socket;
export function connect(port: number | string, connectionListener?: () => void): Socket;
export function connect(...args: unknown[]): Socket {
  const first = args[0];
  const socketOpts = first !== null && typeof first === 'object' ? (first as SocketConstructorOpts) : {};
  const socket = new Socket({
    allowHalfOpen: socketOpts.allowHalfOpen,
    highWaterMark: socketOpts.highWaterMark,
    readableHighWaterMark: socketOpts.readableHighWaterMark,
    writableHighWaterMark: socketOpts.writableHighWaterMark,
    signal: socketOpts.signal,
    writeLimit: socketOpts.writeLimit,
    pauseOnWriteBackpressure: socketOpts.pauseOnWriteBackpressure,
    onread: socketOpts.onread,
  });
  return (socket.connect as (...a: unknown[]) => Socket)(...args);
}

/** Alias of connect(), as in node:net. */
export const createConnection = connect;

// Pure helpers that have nothing to do with I/O come straight from node:net.
export const isIP = netUtil.isIP;
export const isIPv4 = netUtil.isIPv4;
export const isIPv6 = netUtil.isIPv6;
export const BlockList = netUtil.BlockList;
export const SocketAddress = netUtil.SocketAddress;

const overlapped = {
  backend,
  stats,
  configure,
  createServer,
  connect,
  createConnection,
  Server,
  Socket,
  isIP,
  isIPv4,
  isIPv6,
  BlockList,
  SocketAddress,
};
export default overlapped;
