// Server: a listening native handle whose accepts become Sockets, with node:net's listen()
// overloads, events ('listening', 'connection', 'close', 'error') and close semantics
// ('close' once the listener is gone and every connection has closed).
import { AsyncResource } from 'node:async_hooks';
import * as dns from 'node:dns';
import { EventEmitter } from 'node:events';
import * as netUtil from 'node:net';

import { isPipeName, peerBlocked } from './args';
import { EventKind, ensureStarted, native, registerHandle, type HandleOwner } from './binding';
import { config, validateServerOpts } from './config';
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_OVERLAPPED_UNSUPPORTED,
  ERR_SERVER_ALREADY_LISTEN,
  ERR_SERVER_NOT_RUNNING,
  errnoName,
  uvExceptionWithHostPort,
} from './errors';
import { kAcceptedHandle, newAsyncScope, Socket, validatePort, type OnReadOpts, type SocketConstructorOpts } from './socket';

/** Options for createServer(), as node:net's. */
export interface ServerOpts {
  /** When false (default), accepted sockets end their writable side when the peer ends. */
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused (no 'data' until resume()). Default false. */
  pauseOnConnect?: boolean;
  /** TCP_NODELAY on accepted sockets. Default false. */
  noDelay?: boolean;
  /** SO_KEEPALIVE on accepted sockets. Default false. */
  keepAlive?: boolean;
  /** Keep-alive initial delay in ms. Default 0. */
  keepAliveInitialDelay?: number;
  /** High water mark of accepted sockets, in bytes. */
  highWaterMark?: number;
  /**
   * Connections from an address this list blocks are closed before 'connection', as node:net
   * does from Node 23.4 (Node 20's ignores the option).
   */
  blockList?: netUtil.BlockList;
  /** Per-socket hard send-queue limit of accepted sockets (see SocketConstructorOpts). */
  writeLimit?: number;
  /** Pause an accepted socket's reads while its writes are backed up. Default true. */
  pauseOnWriteBackpressure?: boolean;
  /**
   * An overlapped extension (node:net takes onread on client sockets only): accepted sockets
   * read into this buffer and call this callback instead of emitting 'data', as
   * SocketConstructorOpts.onread. One buffer may serve every connection: callbacks run one
   * at a time, and a buffer handed to write() must not be refilled while the write waits
   * (see docs/api.md, "onread").
   */
  onread?: OnReadOpts;
  /**
   * What happens to a connection that arrives at maxConnections. 'drop' (default, node:net's
   * behaviour): it is accepted and closed at once, and the server emits 'drop'. 'pause' (an
   * overlapped extension): the server stops accepting until a connection closes or the limit
   * is raised, so that peers wait in the kernel's backlog and are served in turn; none is
   * turned away. (On the node backend, 'drop' always.)
   */
  maxConnectionsPolicy?: 'drop' | 'pause';
}

/** Options for server.listen(options), as node:net's. */
export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  /** Listen on IPv6 only (no IPv4-mapped addresses) when host is an IPv6 address or '::'. */
  ipv6Only?: boolean;
  /** SO_REUSEPORT: several listeners share the port (Linux). */
  reusePort?: boolean;
  /** Accepted for compatibility; there is no cluster to share with. */
  exclusive?: boolean;
  /** Closes the server when the signal aborts. */
  signal?: AbortSignal;
  /** Not supported: IPC. */
  path?: string;
}

// The backlog as node:net hands it to its handle: a falsy one is 511, the rest read as an
// int32 (Infinity and non-numbers are 0), a negative one is the system's largest. node:net
// throws a bigint's or a symbol's TypeError a tick later, uncaught; here it is thrown at once.
function listenBacklog(v: unknown): number {
  if (typeof v === 'bigint' || typeof v === 'symbol') throw ERR_INVALID_ARG_TYPE('options.backlog', 'of type number', v);
  const n = Number(v || 511) | 0;
  return n < 0 ? 0x7fffffff : n;
}

// Owner of a parked connection's id until it is admitted: nothing to do with its events
// (no reads are armed; only kClose can come, when the server closes it).
const parked: HandleOwner = { _onEvent() {} };

// Owner of a listener close() has closed, until its kClose: the Server may listen again on a
// new handle meanwhile (as node:net allows), so the old handle's last events must not reach
// it. A connection it still completes is closed unseen, as after close() on node:net.
class ClosingListener implements HandleOwner {
  constructor(
    private readonly _server: Server,
    private readonly _listenerAsync: AsyncResource | undefined, // the handle's own resource
    private readonly _closer: AsyncResource, // close()'s context
  ) {}
  _onEvent(kind: EventKind, result: number): void {
    if (kind === EventKind.Accept && result >= 0) {
      registerHandle(result, parked);
      native.close(result, false);
    } else if (kind === EventKind.Close) {
      this._listenerAsync?.emitDestroy();
      this._closer.runInAsyncScope(this._server._listenerClosed, this._server);
      this._closer.emitDestroy();
    }
  }
}

// One listener for every accepted socket, rather than a closure per connection (memory per
// idle connection counts).
// (Not through socket.server: a program may hand the socket on, and node's http server, for
// one, sets socket.server to itself.)
function onConnectionClose(this: Socket): void {
  (this._acceptedBy as Server)._connectionClosed();
}

// A native handle's local (or peer) address as node:net's AddressInfo, or undefined.
function addressOf(id: number, peer: boolean): netUtil.AddressInfo | undefined {
  const a = native.address(id, peer);
  return typeof a === 'number' ? undefined : { address: a[1], family: `IPv${a[0]}`, port: a[2] };
}

function nativeListen(family: 4 | 6, address: string, port: number, backlog: number, ipv6Only: boolean, reusePort: boolean): number {
  return native.listen(family, address, port, backlog, ipv6Only, reusePort, config.acceptsPosted);
}

export class Server extends EventEmitter implements HandleOwner {
  /**
   * At this many connections, a new one is closed at once and 'drop' is emitted, as on
   * node:net; or, with createServer({ maxConnectionsPolicy: 'pause' }), the server stops
   * accepting (new peers wait in the kernel's backlog) and resumes when one closes: the few
   * the kernel completed before the pause took effect wait, unread, for a free slot. Raising
   * it (or clearing it) admits the waiting connections and resumes accepting at once.
   */
  get maxConnections(): number {
    // Typed number, as @types/node types it, though unset it is undefined there and here.
    return this._maxConnections as number;
  }

  set maxConnections(value: number | undefined) {
    this._maxConnections = value;
    if (this._ipc) this._ipc.maxConnections = value as number;
    // A raised limit frees slots now, not at the next close (issue #11: with a limit that
    // started at 0 no close ever came). On the next tick: 'connection' events do not come
    // from inside an assignment.
    process.nextTick(() => this._slotFreed());
  }

  /**
   * @deprecated node:net's old count of open connections (DEP0020), kept for code typed
   * against @types/node, which still declares it; use getConnections().
   */
  get connections(): number {
    return this._connections;
  }

  private _maxConnections: number | undefined = undefined;
  private _acceptPaused = false;
  private _waiting: number[] = []; // accepted past maxConnections, not yet admitted
  /** Times accepting was paused at maxConnections. */
  static acceptPauses = 0;

  private _ovId = 0;
  private _listening = false;
  private _closing = false;
  private _closingListeners = 0; // closed native listeners whose kClose has not come yet
  private _listenSeq = 0; // bumped by listen() and close(): a listen() still resolving its host is void
  private _connections = 0;
  private _address: netUtil.AddressInfo | undefined = undefined;
  private _opts: ServerOpts;
  private _refed = true;
  /** @internal the async context of 'connection' and 'close': listen()'s, as node:net's */
  _async: AsyncResource | undefined = undefined;

  constructor(connectionListener?: (socket: Socket) => void);
  constructor(options?: ServerOpts, connectionListener?: (socket: Socket) => void);
  constructor(options?: unknown, connectionListener?: unknown) {
    super();
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    } else if (options === undefined || options === null) {
      options = {};
    } else if (typeof options !== 'object') {
      throw ERR_INVALID_ARG_TYPE('options', 'of type object', options);
    }
    this._opts = { ...(options as ServerOpts) };
    validateServerOpts(this._opts);
    // As node:net: a listener that is not a function is ignored.
    if (typeof connectionListener === 'function') this.on('connection', connectionListener as (s: Socket) => void);
  }

  get listening(): boolean {
    return this._ipc ? this._ipc.listening : this._listening;
  }

  // ---- IPC paths, fds and handles: node:net's own server ------------------------------------
  //
  // listen() on a Unix socket or Windows pipe path, an fd or a node handle is handed to a
  // node:net server made for it, whose events this server re-emits: 'connection' then brings
  // a node:net Socket (the same API; the budgets and the receive pool are not there). The
  // backends drive TCP sockets only. address(), getConnections(), close(), ref()/unref() and
  // maxConnections go to it while it exists.
  private _ipc: netUtil.Server | undefined = undefined;

  private _listenIpc(args: unknown[], cb: (() => void) | undefined): this {
    if (this._listening || this._ovId !== 0 || this._ipc?.listening) throw ERR_SERVER_ALREADY_LISTEN();
    const o = this._opts;
    const inner = netUtil.createServer({
      allowHalfOpen: o.allowHalfOpen,
      pauseOnConnect: o.pauseOnConnect,
      noDelay: o.noDelay,
      keepAlive: o.keepAlive,
      keepAliveInitialDelay: o.keepAliveInitialDelay,
      highWaterMark: o.highWaterMark,
    });
    if (this._maxConnections !== undefined) inner.maxConnections = this._maxConnections;
    for (const event of ['connection', 'listening', 'error', 'drop'])
      inner.on(event, (...a: unknown[]) => this.emit(event, ...a));
    // Kept after its close, as node:net keeps a pipe server's name: address() still gives it.
    inner.on('close', () => this.emit('close'));
    this._ipc = inner;
    if (cb) this.once('listening', cb);
    if (!this._refed) inner.unref();
    try {
      (inner.listen as (...a: unknown[]) => unknown)(...args);
    } catch (err) {
      this._ipc = undefined;
      throw err;
    }
    return this;
  }

  // ---- listen -------------------------------------------------------------------------------

  // node:net's overloads, in @types/node's order (so that a Server stands where node's is
  // typed). The IPC path and handle forms go to a node:net server (_listenIpc).
  listen(port?: number | string, hostname?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, hostname?: string, listeningListener?: () => void): this;
  listen(port?: number | string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, listeningListener?: () => void): this;
  listen(path: string, backlog?: number, listeningListener?: () => void): this;
  listen(path: string, listeningListener?: () => void): this;
  listen(options: ListenOptions | netUtil.ListenOptions, listeningListener?: () => void): this;
  listen(handle: unknown, backlog?: number, listeningListener?: () => void): this;
  listen(handle: unknown, listeningListener?: () => void): this;
  listen(...args: unknown[]): this {
    // node:net's argument forms and checks, in its order (net.js Server.prototype.listen).
    const cb = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as () => void) : undefined;
    const first = args[0];
    let opts: ListenOptions;
    if (first !== null && typeof first === 'object') {
      opts = { ...(first as ListenOptions) };
      // Another overlapped handle cannot be listened on: it has no libuv handle to share.
      if ('_ovId' in opts) throw ERR_OVERLAPPED_UNSUPPORTED('listening on an overlapped handle');
      if ((opts as { path?: unknown }).path || 'fd' in opts || 'handle' in opts || '_handle' in opts)
        return this._listenIpc(cb ? args.slice(0, -1) : args, cb);
    } else if (isPipeName(first)) {
      return this._listenIpc(cb ? args.slice(0, -1) : args, cb);
    } else {
      opts = args.length === 0 || typeof first === 'function' ? {} : { port: first as number | undefined };
      if (args.length > 1 && typeof args[1] === 'string') opts.host = args[1];
    }
    if (this._listening || this._ovId !== 0 || this._ipc?.listening) throw ERR_SERVER_ALREADY_LISTEN();
    if (cb) this.once('listening', cb);
    // (port, backlog), (port, host, backlog): node:net's toNumber() of each.
    const toNumber = (x: unknown): number | false => ((x = Number(x)) as number) >= 0 ? (x as number) : false;
    const backlogFromArgs = toNumber(args.length > 1 && typeof args[1] !== 'function' && args[1]) ||
      toNumber(args.length > 2 && typeof args[2] !== 'function' && args[2]);
    if (opts.signal !== undefined && (opts.signal === null || typeof opts.signal !== 'object' || !('aborted' in opts.signal)))
      throw ERR_INVALID_ARG_TYPE('options.signal', 'an instance of AbortSignal', opts.signal);
    if (args.length === 0 || typeof first === 'function' || (opts.port === undefined && 'port' in opts) || opts.port === null)
      opts.port = 0;
    if (typeof opts.port !== 'number' && typeof opts.port !== 'string') {
      const shown = first !== null && typeof first === 'object' ? first : opts;
      if (!('port' in opts) && !('path' in opts))
        throw ERR_INVALID_ARG_VALUE('options', shown, 'must have the property "port" or "path"');
      throw ERR_INVALID_ARG_VALUE('options', shown);
    }
    const port = validatePort(opts.port, 'options.port');
    const backlog = listenBacklog(opts.backlog || backlogFromArgs);
    // A host is used when truthy; dns.lookup() is what checks its type on node:net.
    const host = opts.host ? opts.host : undefined;
    if (host !== undefined && typeof host !== 'string') throw ERR_INVALID_ARG_TYPE('hostname', 'of type string', host);
    this._ipc = undefined; // a TCP listen after an IPC one
    ensureStarted();
    // node:net makes the listening handle here (or in the lookup callback, which runs in
    // this same context): 'connection' runs in listen()'s context. A listen() still
    // resolving its host, which this one replaces, leaves its resource.
    this._async?.emitDestroy();
    this._async = newAsyncScope('TCPSERVERWRAP');
    if (opts.signal) {
      const signal = opts.signal;
      if (signal.aborted) {
        process.nextTick(() => this.close());
        return this;
      }
      signal.addEventListener('abort', () => this.close(), { once: true });
    }
    this._closing = false;
    const ipv6Only = !!opts.ipv6Only;
    const reusePort = !!opts.reusePort;

    // Every listen() makes one still resolving its host void (node:net's _listeningId).
    const seq = ++this._listenSeq;
    if (host === undefined) {
      // As node:net: the IPv6 any-address (dual stack), or IPv4's where IPv6 is unavailable.
      let r = nativeListen(6, '::', port, backlog, ipv6Only, reusePort);
      if (r < 0 && errnoName(r) === 'EAFNOSUPPORT') r = nativeListen(4, '0.0.0.0', port, backlog, false, reusePort);
      this._finishListen(r, r < 0 ? '::' : '', port);
      return this;
    }
    // As node:net (lookupAndListen): a host, even an IP literal, is resolved first, a tick
    // later at the soonest. Until then the server is not listening (listening is false,
    // address() null), and a second listen() or a close() makes this one void.
    const resolved = (err: Error | null, address: string, fam: number): void => {
      if (seq !== this._listenSeq) return;
      if (err) {
        this.emit('error', err);
        return;
      }
      this._finishListen(nativeListen(fam as 4 | 6, address, port, backlog, ipv6Only, reusePort), address, port);
    };
    const family = netUtil.isIP(host);
    if (family !== 0) process.nextTick(resolved, null, host, family);
    else dns.lookup(host, resolved);
    return this;
  }

  private _finishListen(r: number, address: string, port: number): void {
    if (r < 0) {
      const err = uvExceptionWithHostPort(r, 'listen', address, port);
      process.nextTick(() => this.emit('error', err));
      return;
    }
    this._ovId = r;
    registerHandle(r, this);
    if (!this._refed) native.setRef(r, false);
    this._listening = true;
    this._address = addressOf(r, false);
    process.nextTick(() => {
      if (this._listening) this.emit('listening');
    });
  }

  // ---- accept -------------------------------------------------------------------------------

  /** @internal */
  _onEvent(kind: EventKind, result: number): void {
    if (kind === EventKind.Accept) {
      if (result < 0) return; // transient accept failures are retried natively (see stats())
      this._onConnection(result);
    }
    // kClose comes to the ClosingListener that close() hands the handle to.
  }

  /** @internal the listener handed to a ClosingListener is gone */
  _listenerClosed(): void {
    this._closingListeners--;
    this._emitCloseIfDrained();
  }

  private _onConnection(id: number): void {
    if (this._closing || this._blocked(id)) {
      // Accepted in the same batch as the event whose handler called close() (node:net emits
      // no 'connection' after close()), or from a blocked peer: closed unseen.
      registerHandle(id, parked);
      native.close(id, false);
      return;
    }
    if (this._atMax() && this._opts.maxConnectionsPolicy !== 'pause') {
      this._drop(id);
      return;
    }
    if (this._atMax() || this._waiting.length > 0) {
      // The kernel completed this one before our pause reached it. Hold it, unread (no
      // buffer, no reads armed), and admit it when a slot frees: no connection is dropped.
      registerHandle(id, parked);
      this._waiting.push(id);
      this._pauseAccepting();
      return;
    }
    this._admit(id);
  }

  // As node:net's onconnection (Node 23.4+): a peer the blockList turns away is closed unseen.
  private _blocked(id: number): boolean {
    const list = this._opts.blockList;
    if (!list) return false;
    const peer = addressOf(id, true);
    return peerBlocked(list, peer?.address, peer?.family);
  }

  // node:net's answer to a connection past maxConnections: 'drop', with both ends' addresses
  // (as its onconnection reads them off the handle), and the connection closed.
  private _drop(id: number): void {
    const data: Record<string, unknown> = { __proto__: null };
    const local = addressOf(id, false);
    if (local) Object.assign(data, { localAddress: local.address, localPort: local.port, localFamily: local.family });
    const remote = addressOf(id, true);
    if (remote) Object.assign(data, { remoteAddress: remote.address, remotePort: remote.port, remoteFamily: remote.family });
    registerHandle(id, parked);
    native.close(id, false);
    this.emit('drop', data);
  }

  private _admit(id: number): void {
    const opts = {
      allowHalfOpen: this._opts.allowHalfOpen,
      noDelay: this._opts.noDelay,
      keepAlive: this._opts.keepAlive,
      keepAliveInitialDelay: this._opts.keepAliveInitialDelay,
      highWaterMark: this._opts.highWaterMark,
      writeLimit: this._opts.writeLimit,
      pauseOnWriteBackpressure: this._opts.pauseOnWriteBackpressure,
      pauseOnCreate: !!this._opts.pauseOnConnect,
      onread: this._opts.onread,
      [kAcceptedHandle]: id,
    } as SocketConstructorOpts & { [kAcceptedHandle]: number };
    let socket: Socket;
    try {
      socket = new Socket(opts); // its async context comes at its first event (_newScope)
    } catch (err) {
      // The options were checked in the constructor, so this is a bug; still, the native
      // handle must not outlive it unowned (an open fd, a peer left waiting, a process that
      // cannot exit). The error goes to the server, as node:net's accept errors do.
      registerHandle(id, parked);
      native.close(id, false);
      process.nextTick(() => this.emit('error', err));
      return;
    }
    socket.server = this;
    socket._acceptedBy = this;
    this._connections++;
    socket.on('close', onConnectionClose); // 'close' comes once

    if (this._atMax() && this._opts.maxConnectionsPolicy === 'pause') this._pauseAccepting();
    if (this._opts.pauseOnConnect) socket.pause();
    this.emit('connection', socket);
  }

  /**
   * A rejected promise from an async listener, where captureRejections is on (node:net's
   * handler): a 'connection' listener's destroys that socket, any other's is the server's
   * 'error'.
   */
  override [EventEmitter.captureRejectionSymbol](err: Error, event: string | symbol, ...args: unknown[]): void {
    if (event === 'connection') (args[0] as Socket).destroy(err);
    else this.emit('error', err);
  }

  /** @internal an accepted connection has closed */
  _connectionClosed(): void {
    this._connections--;
    this._slotFreed();
    if (this._closing) this._emitCloseIfDrained();
  }

  private _pauseAccepting(): void {
    // Back off instead of accepting and closing: peers wait in the backlog until a slot frees.
    if (this._acceptPaused || this._ovId === 0) return;
    this._acceptPaused = true;
    Server.acceptPauses++;
    native.acceptPause(this._ovId, true);
  }

  private _slotFreed(): void {
    while (this._waiting.length > 0 && !this._atMax()) {
      const id = this._waiting.shift()!;
      if (this._closing) native.close(id, false);
      else this._admit(id);
    }
    if (this._acceptPaused && !this._atMax() && this._ovId !== 0) {
      this._acceptPaused = false;
      native.acceptPause(this._ovId, false);
    }
  }

  private _atMax(): boolean {
    return this._maxConnections != null && this._connections >= this._maxConnections;
  }

  // ---- close --------------------------------------------------------------------------------

  /** Stops accepting; 'close' follows once every connection has closed. */
  close(callback?: (err?: Error) => void): this {
    if (this._ipc?.listening) {
      if (typeof callback === 'function') this.once('close', callback);
      this._ipc.close();
      return this;
    }
    // As node:net: a callback that is not a function is ignored.
    if (typeof callback === 'function') {
      if (!this._listening) this.once('close', () => callback(ERR_SERVER_NOT_RUNNING()));
      else this.once('close', callback);
    }
    const wasListening = this._listening;
    this._listening = false;
    this._closing = true;
    this._listenSeq++;
    for (const id of this._waiting.splice(0)) native.close(id, false);
    if (this._ovId !== 0) {
      // 'close' waits for the handle's kClose; listen() may start a new handle before it.
      // The handle takes its async resource along (destroyed with it) and close()'s context,
      // where 'close' is emitted, as node:net emits it.
      const id = this._ovId;
      this._ovId = 0;
      this._acceptPaused = false;
      this._closingListeners++;
      const closer = new AsyncResource('overlapped:close', { requireManualDestroy: true });
      registerHandle(id, new ClosingListener(this, this._async, closer));
      this._async = undefined;
      native.close(id, false);
    } else {
      // No handle (closed during listen()'s lookup, or listen() failed): its resource goes now.
      this._async?.emitDestroy();
      this._async = undefined;
      if (!wasListening || this._connections === 0) this._emitCloseIfDrained();
    }
    return this;
  }

  private _emitCloseIfDrained(): void {
    if (this._closingListeners > 0 || this._connections > 0) return;
    this._closing = false;
    process.nextTick(() => this.emit('close'));
  }

  /** Node ≥ 20: `await using server = ...` closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this._listening) return;
    await new Promise<void>((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
  }

  address(): netUtil.AddressInfo | null {
    if (this._ipc) return this._ipc.address() as netUtil.AddressInfo | null; // a path for IPC
    return this._listening ? (this._address ?? null) : null;
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    if (typeof cb !== 'function') throw ERR_INVALID_ARG_TYPE('callback', 'of type function', cb);
    if (this._ipc?.listening) {
      this._ipc.getConnections(cb);
      return this;
    }
    process.nextTick(cb, null, this._connections);
    return this;
  }

  ref(): this {
    this._refed = true;
    this._ipc?.ref();
    if (this._ovId !== 0) native.setRef(this._ovId, true);
    return this;
  }

  unref(): this {
    this._refed = false;
    this._ipc?.unref();
    if (this._ovId !== 0) native.setRef(this._ovId, false);
    return this;
  }
}
