// overlapped: node:net's TCP API over completion-based I/O (io_uring on Linux, IOCP on
// Windows) with pooled, bounded receive buffers, or over node:net itself (the node backend)
// where the addon cannot load. `import net from 'overlapped'` and code
// written for node:net keeps working; see docs/api.md for what differs.
import * as netUtil from 'node:net';

import {
  backendName,
  backendProbe,
  ensureStarted,
  native,
  type BackendName,
  type BackendProbe,
  type NativeStats,
} from './binding';
import { isPipeName } from './args';
import { budgetStats, type BudgetStats } from './budget';
import { configure, type OverlappedConfig } from './config';
import { relay, type RelayOptions, type RelayResult } from './relay';
import type { Server as NativeServer, ListenOptions, ServerOpts } from './server';
import type { Socket as NativeSocket, OnReadOpts, SocketConstructorOpts, TcpSocketConnectOpts } from './socket';

export type { ListenOptions, OnReadOpts, ServerOpts, SocketConstructorOpts, TcpSocketConnectOpts };
export type { SocketBufferLimitError, SystemError } from './errors';
export { configure, relay };
export type { RelayOptions, RelayResult };
export type { OverlappedConfig, BackendName, BackendProbe };
export type { AddressInfo } from 'node:net';
// The types programs import from node:net, under the same names, so that an import of them
// from 'overlapped' compiles as it did (issue #11).
export type {
  LookupFunction,
  NetConnectOpts,
  SocketConnectOpts,
  TcpNetConnectOpts,
  DropArgument,
  SocketAddressInitOptions,
} from 'node:net';
export type { SocketReadyState } from './socket';
export type BlockList = netUtil.BlockList;
export type SocketAddress = netUtil.SocketAddress;

type BackendCounters = NativeStats & {
  /** Times a server stopped accepting at maxConnections. */
  acceptPausesAtMaxConnections: number;
};

// One implementation, chosen once (node-pty's way): the native Socket and Server over the
// addon, or node:net's under the same names and types (lib/node/) where the addon cannot load
// or OVERLAPPED_BACKEND=node. Modules are required here, not imported, so that the node
// backend never loads the native one's.
interface Implementation {
  Socket: typeof NativeSocket;
  Server: typeof NativeServer;
  counters(): BackendCounters;
}

function implementation(): Implementation {
  if (backendName === 'node') {
    const node = require('./node') as typeof import('./node');
    // The node classes take the same options and keep the same API; they are typed as the
    // native ones so that `import net from 'overlapped'` has one set of typings.
    return {
      Socket: node.Socket as unknown as typeof NativeSocket,
      Server: node.Server as unknown as typeof NativeServer,
      counters: node.counters,
    };
  }
  const { Socket } = require('./socket') as typeof import('./socket');
  const { Server } = require('./server') as typeof import('./server');
  return {
    Socket,
    Server,
    counters() {
      ensureStarted();
      return { ...native.stats(), acceptPausesAtMaxConnections: Server.acceptPauses };
    },
  };
}

const impl = implementation();

// node:net's Socket and Server may be called without `new` (`net.Socket()` makes a socket);
// ours are classes, which would throw there. A proxy that constructs when called keeps
// `instanceof`, subclassing and static members as they are; the package's own code makes
// its instances from the classes themselves.
function callable<C extends abstract new (...args: never[]) => object>(
  cls: C,
  construct: (target: C, args: unknown[], newTarget: Function) => object = (t, a, n) => Reflect.construct(t as never, a, n),
): C {
  return new Proxy(cls, {
    apply: (target, _this, args) => construct(target, args, target),
    construct: (target, args, newTarget) => construct(target, args, newTarget),
  });
}

// A socket made from an existing descriptor (`new Socket(fd)`, `new Socket({ fd })`) is
// node:net's: the backends adopt only the sockets they open or accept. node:net checks the
// fd and says why one cannot be wrapped. The same API; the budgets and the receive pool are
// not there (as for IPC paths, see connect()).
const fromFd = (options: unknown): boolean =>
  typeof options === 'number' || (options !== null && typeof options === 'object' && (options as { fd?: unknown }).fd !== undefined);

/** A TCP socket, as node:net's Socket (a stream.Duplex). */
export const Socket: typeof NativeSocket = callable(impl.Socket, (target, args, newTarget) =>
  fromFd(args[0])
    ? new netUtil.Socket(args[0] as netUtil.SocketConstructorOpts)
    : Reflect.construct(target, args, newTarget),
);
export type Socket = NativeSocket;
/** A TCP server, as node:net's Server. */
export const Server: typeof NativeServer = callable(impl.Server);
export type Server = NativeServer;
/** node:net's old name for Socket. */
export const Stream: typeof NativeSocket = Socket;
export type Stream = NativeSocket;

/**
 * Which backend this environment uses: 'io_uring' or 'epoll' (Linux), 'iocp' (Windows), or
 * 'node' (node:net underneath; see docs/api.md). stats().backendProbe says why.
 */
export const backend: BackendName = backendName;

/**
 * Counters and peaks: the receive pool (native), the write budget (userland queues), sockets
 * and accepts, and what each backend's probe said. See docs/api.md for each field.
 */
export type Stats = BackendCounters &
  BudgetStats & {
    /** Per backend: 'ok', the probe's error name ('EPERM'), or why it was not tried. */
    backendProbe: BackendProbe;
  };

/** A snapshot of all counters. Cheap enough to call every second with thousands of sockets. */
export function stats(): Stats {
  return { ...impl.counters(), ...budgetStats(), backendProbe: { ...backendProbe } };
}

/** Creates a TCP server, as node:net's createServer(). */
export function createServer(connectionListener?: (socket: Socket) => void): Server;
export function createServer(options?: ServerOpts, connectionListener?: (socket: Socket) => void): Server;
export function createServer(options?: unknown, connectionListener?: unknown): Server {
  return new Server(options as ServerOpts, connectionListener as (socket: Socket) => void);
}

type ConnectOpts = TcpSocketConnectOpts & SocketConstructorOpts;

/** Opens a TCP connection, as node:net's connect(). */
export function connect(options: ConnectOpts | netUtil.NetConnectOpts, connectionListener?: () => void): Socket;
export function connect(port: number | string, host?: string, connectionListener?: () => void): Socket;
export function connect(port: number | string, connectionListener?: () => void): Socket;
export function connect(...args: unknown[]): Socket {
  const first = args[0];
  // An IPC path (a Unix socket, a Windows pipe) or an fd goes to node:net, which returns its
  // own Socket (the same API; the budgets and the receive pool are not there): the backends
  // drive TCP sockets only. As node:net, a path counts when it is truthy.
  if (first !== null && typeof first === 'object' ? !!(first as { path?: unknown }).path || fromFd(first) : isPipeName(first))
    return (netUtil.connect as (...a: unknown[]) => Socket)(...args);
  const socketOpts = first !== null && typeof first === 'object' ? (first as SocketConstructorOpts) : {};
  // As node:net: the whole options object is the new socket's too (noDelay, keepAlive,
  // highWaterMark, signal, onread, ...).
  const socket = new Socket(socketOpts);
  // Here, as in node:net's connect(), not in Socket#connect(): on the node backend that is
  // node:net's, which takes no timeout.
  const timeout = (socketOpts as TcpSocketConnectOpts).timeout;
  if (timeout) socket.setTimeout(timeout);
  return (socket.connect as (...a: unknown[]) => Socket)(...args);
}

/** Alias of connect(), as in node:net. */
export const createConnection = connect;

// Pure helpers that have nothing to do with I/O come straight from node:net.
export const isIP = netUtil.isIP;
export const isIPv4 = netUtil.isIPv4;
export const isIPv6 = netUtil.isIPv6;
export const BlockList = netUtil.BlockList;
// The happy-eyeballs defaults are node:net's own, shared: a program (or a library) that sets
// them on node:net sets them for overlapped's connects too, on every backend.
export const getDefaultAutoSelectFamily = netUtil.getDefaultAutoSelectFamily;
export const setDefaultAutoSelectFamily = netUtil.setDefaultAutoSelectFamily;
export const getDefaultAutoSelectFamilyAttemptTimeout = netUtil.getDefaultAutoSelectFamilyAttemptTimeout;
export const setDefaultAutoSelectFamilyAttemptTimeout = netUtil.setDefaultAutoSelectFamilyAttemptTimeout;
export const SocketAddress = netUtil.SocketAddress;

const overlapped = {
  backend,
  stats,
  configure,
  relay,
  createServer,
  connect,
  createConnection,
  Server,
  Socket,
  Stream,
  isIP,
  isIPv4,
  isIPv6,
  BlockList,
  SocketAddress,
  getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout,
};
export default overlapped;
