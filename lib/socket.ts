// Socket: a real stream.Duplex over a native handle, behaving like node:net's Socket so that
// node:http, node:tls and pipe() work on it. The Duplex's own write buffer is the per-socket
// queue: while one native write is in flight, later writes gather there and go out together
// as one gathered send through _writev. Reading follows the stream's demand: _read() starts
// native reads and a push() that returns false stops them.
import { AsyncResource } from 'node:async_hooks';
import * as dns from 'node:dns';
import { addAbortSignal, Duplex, type DuplexOptions } from 'node:stream';
import * as netUtil from 'node:net';

import { EventKind, ensureStarted, importScope, native, registerHandle, type HandleOwner } from './binding';
import { admit, forget, report, type Budgeted } from './budget';
import { isPipeName } from './args';
import { canForwardNatively, forward, RELAY_HIGH_WATER_MARK, STOPPED, type Forward } from './relay';
import { checkWriteLimit, config } from './config';
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ADDRESS_FAMILY,
  ERR_INVALID_ARG_VALUE,
  ERR_INVALID_IP_ADDRESS,
  ERR_MISSING_ARGS,
  ERR_OUT_OF_RANGE,
  ERR_IP_BLOCKED,
  ERR_OVERLAPPED_UNSUPPORTED,
  ERR_SOCKET_BAD_PORT,
  ERR_SOCKET_CLOSED,
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
  ERR_SOCKET_CONNECTION_TIMEOUT,
  aggregateError,
  errnoException,
  errnoName,
  exceptionWithHostPort,
  portExhaustionHint,
  uvErrno,
} from './errors';

/** Options for `new Socket()`, as node:net's. */
export interface SocketConstructorOpts {
  /** When false (default), the socket ends its writable side when the peer ends. */
  allowHalfOpen?: boolean;
  /** false: the readable (or writable) side starts ended, as node:net's Duplex options. */
  readable?: boolean;
  writable?: boolean;
  /** Readable/writable high water mark in bytes. */
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** Disables Nagle's algorithm once connected. Default false. */
  noDelay?: boolean;
  /** Enables TCP keep-alive once connected. Default false. */
  keepAlive?: boolean;
  /** Idle time before the first keep-alive probe, in milliseconds. Default 0 (system's). */
  keepAliveInitialDelay?: number;
  /** Destroys the socket when the signal aborts. */
  signal?: AbortSignal;
  /**
   * An address this list blocks is not connected to: the connect fails with ERR_IP_BLOCKED
   * (or, trying several addresses, that attempt does), as node:net does from Node 23.4.
   */
  blockList?: netUtil.BlockList;
  /** An existing descriptor: `new Socket({ fd })` returns a node:net Socket that wraps it. */
  fd?: number;
  /**
   * Hard limit on bytes queued for sending: a write() that would pass it destroys the socket
   * with ERR_SOCKET_BUFFER_LIMIT. Default: configure()'s socketWriteLimit (8 MiB).
   */
  writeLimit?: number;
  /**
   * When the program's answer to this socket's data leaves its send queue above
   * writableHighWaterMark (write() returned false), stop reading from this socket until
   * 'drain', so a peer that does not read our replies cannot make us read more of its
   * requests. Default true; false gives node:net's behaviour (reads go on regardless).
   */
  pauseOnWriteBackpressure?: boolean;
  /**
   * As node:net's: received bytes are copied into `buffer` (a Uint8Array, or a function that
   * returns the one to use next) and handed to `callback(nread, buffer)` instead of being
   * emitted as 'data'; a callback that returns false pauses the socket until resume().
   * No allocation per read. A malformed value is ignored, as node:net ignores it.
   */
  onread?: OnReadOpts;
}

interface OnRead {
  buf: Uint8Array | undefined; // the buffer bytes are copied into
  gen: (() => Uint8Array) | undefined; // gives the next one
  cb: OnReadOpts['callback'];
  left: { slab: Buffer; offset: number; length: number } | undefined; // held by a pause
  eof: boolean; // the peer's FIN came behind `left`: it waits for those bytes
}

// A listener shared by every socket rather than a closure per socket (memory per connection).
function onDrain(this: Socket): void {
  this._onDrain();
}

export interface OnReadOpts {
  buffer: Uint8Array | (() => Uint8Array);
  /** Called with the socket as `this`, as node:net calls it. */
  callback(this: Socket, bytesWritten: number, buffer: Uint8Array): boolean | void;
}

/** Options for `socket.connect()` and `net.connect()`, as node:net's TCP options. */
export interface TcpSocketConnectOpts {
  /** Port to connect to. Required. */
  port: number | string;
  /** Host name or address. Default 'localhost'. */
  host?: string;
  /** Local address to bind before connecting. */
  localAddress?: string;
  /** Local port to bind before connecting. */
  localPort?: number;
  /** IP family to resolve host to: 0 (either), 4 or 6 ('IPv4' and 'IPv6' are taken too, as address() gives them). */
  family?: number;
  /** Passed to dns.lookup(). */
  hints?: number;
  /** Replaces dns.lookup() (node:net's LookupFunction). */
  lookup?: netUtil.LookupFunction;
  /** connect() / createConnection() set it as socket.setTimeout() would (socket.connect() does not, as on node:net). */
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /**
   * Happy eyeballs (RFC 8305), as node:net: when the host resolves to several addresses, try
   * them in turn, alternating families, each given autoSelectFamilyAttemptTimeout ms before
   * the next one starts. Default net.getDefaultAutoSelectFamily() (true since Node 20).
   */
  autoSelectFamily?: boolean;
  /** Milliseconds each attempt gets (at least 10). Default net.getDefaultAutoSelectFamilyAttemptTimeout() (250). */
  autoSelectFamilyAttemptTimeout?: number;
}

export type SocketReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

/** @internal a handle id handed over by Server for an accepted connection */
export const kAcceptedHandle = Symbol('overlapped.acceptedHandle');

type WriteCallback = (error?: Error | null) => void;

// JSStreamSocket's 'end' listener, the one that hands end-of-stream to the wrapping handle
// (`this._handle.emitEOF()`, unchanged in node 20 to 24). See Socket._end().
function isStreamWrapEnd(fn: Function): boolean {
  return Function.prototype.toString.call(fn).includes('.emitEOF()');
}

export class Socket extends Duplex implements HandleOwner, Budgeted {
  /** True while a connect is in progress. */
  connecting = false;
  /** Bytes received. */
  bytesRead = 0;
  /** The Server that accepted this socket, if any. */
  server: unknown = null;
  /** The timeout set by setTimeout(), in ms, or undefined. */
  timeout: number | undefined = undefined;

  /** @internal the overlapped Server that accepted this socket */
  _acceptedBy: unknown = undefined;
  /** @internal native handle id, 0 when none */
  _ovId = 0;
  /**
   * @internal the async context of its events, as node:net's handle: made by connect(), or
   * at an accepted socket's first event (_newScope; see binding.ts, HandleOwner._async)
   */
  _async: AsyncResource | undefined = undefined;
  /** @internal bytes queued for sending, as last reported to the budget */
  _queued = 0;
  private _writeLimit: number;
  private _writeCb: WriteCallback | undefined = undefined;
  /** @internal bytes handed to the kernel (forwarded bytes added when their link ends) */
  _bytesDispatched = 0;
  // onread's state, when the option is given (one field, so that sockets without it stay
  // small: memory per idle connection counts)
  private _onread: OnRead | undefined = undefined;
  // The booleans below are bits of this one number, and the state most sockets never use
  // lives in `_rare`, made on first use; both behind accessors on the prototype (see
  // defineFlags and defineRare after the class). A field costs every socket 8 bytes, and
  // memory per idle connection is one of the figures this library is judged on.
  /** @internal */
  _flags = Flag.refed | Flag.pauseOnWriteBackpressure;
  /** @internal */
  _rare: Rare | undefined = undefined;
  declare private _reading: boolean; // native reads are on
  declare private _readWanted: boolean; // the stream wants data (_read() called, no push() refused since)
  declare private _eof: boolean;
  declare private _pausedForWrite: boolean;
  declare private _dispatching: boolean; // inside this socket's own 'data' dispatch
  /** @internal */
  declare _pausedForBudget: boolean;
  declare private _pauseOnWriteBackpressure: boolean;
  declare private _noDelay: boolean;
  declare private _refed: boolean;
  declare private _loopRef: boolean; // what the native handle was last told (setRef)
  declare private _hadError: boolean;
  declare private _resetOnClose: boolean;
  declare private _boundLocally: boolean;
  declare private _keepAlive: [boolean, number] | undefined;
  declare private _pendingWrite: PendingWrite | undefined;
  declare private _timer: NodeJS.Timeout | undefined;
  declare private _peer: [4 | 6, string, number] | undefined;
  declare private _closeCb: (() => void) | undefined;
  declare private _pipe: netUtil.Socket | undefined;
  /** @internal */
  declare _fwd: Forwarding | undefined;
  declare private _piped: NativePipe | undefined;
  declare private _blockList: netUtil.BlockList | undefined;
  declare private _host: string | undefined;
  declare private _connectPort: number | undefined;
  declare private _attempts: Attempts | undefined;
  /** The addresses tried, as `address:port`, when the host had several (autoSelectFamily). */
  declare autoSelectFamilyAttemptedAddresses: string[]; // undefined until then, as on node:net

  constructor(opts?: SocketConstructorOpts) {
    // Duplex options node:net passes on too; the object modes it refuses.
    let options = opts as
      | (SocketConstructorOpts & { objectMode?: unknown; readableObjectMode?: unknown; writableObjectMode?: unknown; encoding?: BufferEncoding; defaultEncoding?: BufferEncoding })
      | undefined;
    // node:net's checks, in its order; anything else it takes is ignored (a string spreads to
    // nothing a socket reads), and its getters run once, in the spread.
    if (options?.objectMode) {
      throw ERR_INVALID_ARG_VALUE('options.objectMode', options.objectMode, 'is not supported');
    } else if (options?.readableObjectMode || options?.writableObjectMode) {
      throw ERR_INVALID_ARG_VALUE(
        `options.${options.readableObjectMode ? 'readableObjectMode' : 'writableObjectMode'}`,
        options.readableObjectMode || options.writableObjectMode,
        'is not supported',
      );
    }
    if (typeof options?.keepAliveInitialDelay !== 'undefined' && typeof options.keepAliveInitialDelay !== 'number')
      throw ERR_INVALID_ARG_TYPE('options.keepAliveInitialDelay', 'of type number', options.keepAliveInitialDelay);
    // An fd (node:net's legacy form is a bare number) is wrapped by node:net (see Socket in
    // index.ts); a subclass, which must be ours, cannot.
    if (typeof options === 'number') throw ERR_OVERLAPPED_UNSUPPORTED('wrapping an existing fd');
    options = { ...options };
    if (options.fd !== undefined) throw ERR_OVERLAPPED_UNSUPPORTED('wrapping an existing fd');
    if (options.blockList && !(options.blockList instanceof netUtil.BlockList))
      throw ERR_INVALID_ARG_TYPE('options.blockList', 'net.BlockList', options.blockList);
    super({
      allowHalfOpen: Boolean(options.allowHalfOpen),
      // As node:net, which hands them to Duplex: false starts that side ended.
      readable: options.readable,
      writable: options.writable,
      highWaterMark: options.highWaterMark,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
      encoding: options.encoding,
      defaultEncoding: options.defaultEncoding,
      emitClose: false, // 'close' carries hadError and comes once the native handle is gone
      autoDestroy: true,
      decodeStrings: true,
      // The signal is attached below, once the fields exist: an aborted one destroys the
      // stream at once, which inside super() would run _destroy() on a half-made socket.
    } as DuplexOptions); // readable/writable: Duplex takes them; @types/node 20 omits them
    this._writeLimit = options.writeLimit === undefined ? config.socketWriteLimit : checkWriteLimit(options.writeLimit);
    if (options.pauseOnWriteBackpressure === false) this._pauseOnWriteBackpressure = false;
    if (options.noDelay) this._noDelay = true;
    const onread = options.onread;
    // As node:net: used only when well formed, otherwise silently ignored.
    if (
      onread !== null && typeof onread === 'object' &&
      (onread.buffer instanceof Uint8Array || typeof onread.buffer === 'function') &&
      typeof onread.callback === 'function'
    ) {
      const fn = typeof onread.buffer === 'function';
      this._onread = {
        buf: fn ? undefined : (onread.buffer as Uint8Array),
        gen: fn ? (onread.buffer as () => Uint8Array) : undefined,
        cb: onread.callback,
        left: undefined,
        eof: false,
      };
    }
    if (options.keepAlive) this._keepAlive = [true, Math.max(0, options.keepAliveInitialDelay ?? 0)];
    if (options.blockList) this._blockList = options.blockList;
    // As node:net: a falsy signal is no signal.
    if (options.signal) addAbortSignal(options.signal, this);
    const accepted = (options as { [kAcceptedHandle]?: number })[kAcceptedHandle];
    if (accepted !== undefined) {
      this._attach(accepted);
      // As node:net: start the first read, or get an immediate EOF, even before anyone
      // consumes; read(0) takes no bytes, it only fills the buffer up to the high water mark.
      if (!(options as { pauseOnCreate?: boolean }).pauseOnCreate) this.read(0);
    }
  }

  // ---- handle plumbing ----------------------------------------------------------------------

  /** @internal */
  _attach(id: number): void {
    this._ovId = id;
    registerHandle(id, this);
    if (this._noDelay) native.setNoDelay(id, true);
    if (this._keepAlive) native.setKeepAlive(id, true, Math.floor(this._keepAlive[1] / 1000));
    this._loopRef = true; // a new native handle is referenced
    this._updateRef();
  }

  /** @internal */
  _onEvent(kind: EventKind, result: number, slab?: Buffer, offset?: number): void {
    switch (kind) {
      case EventKind.Data:
        this.bytesRead += result;
        this._touch();
        this._dispatching = true;
        try {
          const more = this._onread
            ? this._readInto(this._onread, slab as Buffer, offset as number, result)
            : this.push(Buffer.from((slab as Buffer).buffer, (slab as Buffer).byteOffset + (offset as number), result));
          if (!more) {
            this._readWanted = false;
            this._updateReading();
          }
        } finally {
          this._dispatching = false;
        }
        break;
      case EventKind.Eof:
        this._reading = false;
        this._eof = true;
        this._updateRef();
        // Bytes a paused onread callback has not taken yet come first, as on node:net,
        // which reads no further (and so sees no FIN) until resume().
        if (this._onread?.left !== undefined) this._onread.eof = true;
        else this._end();
        break;
      case EventKind.ReadError:
        this._reading = false;
        this._eof = true;
        this.destroy(errnoException(result, 'read'));
        break;
      case EventKind.Write: {
        const cb = this._writeCb;
        this._writeCb = undefined;
        this._touch();
        // As node:net (onWriteComplete): a write that ends because the socket was destroyed
        // (cancelled with it) calls back without an error.
        if (cb) cb(result < 0 && !this.destroyed ? errnoException(result, 'write') : null);
        this._updateRef(); // after cb, which may have started the next write
        if (!this.destroyed) report(this, this.writableLength);
        break;
      }
      case EventKind.Connect:
        this._afterConnect(result);
        break;
      case EventKind.RelayEnd: {
        const fwd = this._fwd;
        this._fwd = undefined;
        this._ended(fwd, result, offset as number);
        break;
      }
      case EventKind.RelayWriteError:
        // A forwarded write failed: this socket fails as its own write would have.
        this.destroy(errnoException(result, 'write'));
        break;
      case EventKind.Close: {
        this._ovId = 0;
        const cb = this._closeCb;
        this._closeCb = undefined;
        if (cb) cb();
        break;
      }
    }
  }

  /**
   * @internal An accepted socket's context. node:net makes an accepted handle before it enters
   * the server's callback scope, so the socket's context is its own, under no store of the
   * server's or of any other connection (importScope), triggered by the server. Made at the
   * first event rather than at accept: an idle connection then costs no resource (memory per
   * idle connection counts), and nothing runs in it before its first event.
   */
  _newScope(): AsyncResource | undefined {
    const server = this._acceptedBy as { _async?: AsyncResource } | undefined;
    if (server === undefined) return undefined;
    return (this._async = importScope.runInAsyncScope(newAsyncScope, null, 'TCPWRAP', server._async?.asyncId()));
  }

  // ---- forwarding (lib/relay.ts) ------------------------------------------------------------

  /**
   * @internal From now on the bytes this socket reads go to `dest` inside the addon, until
   * the peer's FIN (after which JS sees 'end' as usual), an error, or _unforward(). The
   * caller has emptied this socket's read buffer into dest and waited for dest's writes.
   * Returns 0 or a negative error.
   */
  _forward(dest: Socket, cap: number, onEnd: Forwarding['onEnd']): number {
    const r = native.link(this._ovId, dest._ovId, cap, this._reading);
    if (r < 0) return r;
    this._fwd = { dest, onEnd };
    // Reading is the native side's to pace now; pause() and resume() still stop and start it.
    this._readWanted = true;
    this._updateReading();
    return 0;
  }

  /**
   * As stream.Readable's pipe(). When the destination is an overlapped socket too (on a
   * native backend), nothing listens for 'data', no encoding or onread is set and nothing
   * else is piped from this socket, the bytes move inside the addon and never enter JS
   * (lib/relay.ts); with the same events, back-pressure, end and unpipe() as node's pipe().
   * A 'data' listener added later turns it back into node's pipe(), bytes in order.
   */
  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    const readable = this as unknown as { _readableState: { pipes: unknown[] } };
    if (
      this._piped !== undefined ||
      this._fwd !== undefined ||
      this.listenerCount('data') !== 0 ||
      readable._readableState.pipes.length !== 0 ||
      !canForwardNatively(this, dest)
    )
      return super.pipe(dest, options);
    const to = dest as unknown as Socket;
    const end = options?.end !== false;
    // node's pipe(): the destination's error unpipes, and throws on if nobody else handles it.
    const onDestError = (err: Error): void => {
      this.unpipe(to);
      to.removeListener('error', onDestError);
      if (to.listenerCount('error') === 0) to.emit('error', err);
    };
    const onDestGone = (): void => {
      this.unpipe(to);
    };
    const onNewListener = (event: string | symbol): void => {
      if (event !== 'data') return;
      // Someone wants the bytes in JS: forwarding stops (what it read still goes first) and
      // node's own pipe() takes over.
      this.unpipe(to);
      super.pipe(to, options);
    };
    const cleanup = (): void => {
      to.removeListener('error', onDestError);
      to.removeListener('close', onDestGone);
      to.removeListener('finish', onDestGone);
      this.removeListener('newListener', onNewListener);
    };
    to.prependListener('error', onDestError);
    to.once('close', onDestGone);
    to.once('finish', onDestGone);
    this.on('newListener', onNewListener);
    const fwd = forward(
      this,
      to,
      Math.max(RELAY_HIGH_WATER_MARK, to.writableHighWaterMark),
      end,
      () => {
        if (this._piped?.fwd === fwd) {
          this._piped = undefined;
          cleanup();
        }
      },
      // As node's pipe(): the source flows; not before the link, or bytes it had read
      // would be emitted to nobody.
      () => {
        if (!this.readableFlowing) this.resume();
      },
    );
    this._piped = { dest: to, fwd, cleanup };
    to.emit('pipe', this);
    return dest;
  }

  override unpipe(dest?: NodeJS.WritableStream): this {
    const piped = this._piped;
    if (piped !== undefined && (dest === undefined || dest === (piped.dest as unknown))) {
      this._piped = undefined;
      piped.cleanup();
      piped.fwd.stop();
      this.pause();
      piped.dest.emit('unpipe', this, { hasUnpiped: false });
      if (dest !== undefined) return this;
    }
    return super.unpipe(dest);
  }

  /** @internal Stops forwarding; what was already read still reaches dest first. */
  _unforward(): void {
    const fwd = this._fwd;
    if (fwd === undefined) return;
    this._fwd = undefined;
    const bytes = this._ovId !== 0 ? native.unlink(this._ovId) : 0;
    this._ended(fwd, STOPPED, Math.max(0, bytes));
  }

  private _ended(fwd: Forwarding | undefined, status: number, bytes: number): void {
    this.bytesRead += bytes;
    if (fwd === undefined) return;
    fwd.dest._bytesDispatched += bytes;
    fwd.onEnd(status, bytes);
  }

  // ---- reading ------------------------------------------------------------------------------

  override _read(): void {
    this._readWanted = true;
    this._updateReading();
  }

  private _end(): void {
    // node:tls (and http2) drive a node:net socket through its C++ handle, and that socket's
    // own end-of-stream handling never runs; a stream without such a handle, as ours, they
    // wrap in JSStreamSocket (node's lib/internal/js_stream_socket.js), which ends the stream
    // itself when the TLS layer shuts down, after its last record. The automatic end() of a
    // socket that is not half-open would come first: the TLS layer writes a record a loop
    // turn after the one before, so the records still to come were cut off by our FIN
    // (a 1 MiB echo lost its last 16 to 48 KiB). So a socket that such a wrapper reads
    // leaves the half-close to it, as the handle path does.
    if (!this.allowHalfOpen && this.listeners('end').some(isStreamWrapEnd)) this.allowHalfOpen = true;
    this.push(null);
    this.read(0); // as node: 'end' now if nothing is buffered, even with no consumer
  }

  // With onread, nothing is pushed, so the stream never asks again: as node:net does,
  // pause() and resume() start and stop the reads themselves.
  override pause(): this {
    if (this._onread || this._fwd) {
      this._readWanted = false;
      this._updateReading();
    }
    return super.pause();
  }

  override resume(): this {
    if (this._fwd && !this._readWanted) {
      this._readWanted = true;
      this._updateReading();
    }
    const onread = this._onread;
    if (onread && !this._readWanted) {
      this._readWanted = true;
      const left = onread.left;
      if (left !== undefined) {
        // What a paused callback left goes first, and may pause the socket again.
        onread.left = undefined;
        this._dispatching = true;
        try {
          if (!this._readInto(onread, left.slab, left.offset, left.length)) this._readWanted = false;
        } finally {
          this._dispatching = false;
        }
        if (onread.left === undefined && onread.eof) {
          onread.eof = false;
          this._end();
        }
      }
      this._updateReading();
    }
    return super.resume();
  }

  // onread: copies the bytes into the program's buffer, as many times as they need, calling
  // back after each fill as node:net does after each read. Returns false when a callback
  // asked to pause; what is left waits, in the slab, for resume().
  private _readInto(onread: OnRead, slab: Buffer, offset: number, length: number): boolean {
    if (onread.buf === undefined && onread.gen) onread.buf = onread.gen();
    while (length > 0 && !this.destroyed) {
      const buf = onread.buf as Uint8Array;
      const n = Math.min(length, buf.byteLength);
      if (n === 0) {
        this.destroy(new RangeError('overlapped: the onread buffer is empty'));
        return false;
      }
      slab.copy(buf, 0, offset, offset + n);
      offset += n;
      length -= n;
      // Called on the socket, as node:net calls it: `this` tells a shared callback which one.
      const go = onread.cb.call(this, n, buf) !== false;
      if (onread.gen) {
        const next = onread.gen();
        if (next instanceof Uint8Array) onread.buf = next;
      }
      if (!go) {
        if (length > 0) onread.left = { slab, offset, length };
        return false;
      }
    }
    return true;
  }

  // Native reads run while the stream wants data and nothing holds them back: the socket's own
  // write back-pressure, the global write budget, or a connection not up yet.
  private _updateReading(): void {
    const pipe = this._ovId === 0 ? this._pipe : undefined;
    if (pipe !== undefined) {
      const on = this._readWanted && !this._pausedForWrite && !this._pausedForBudget && !this._eof && !this.connecting;
      if (on) pipe.resume();
      else pipe.pause();
      return;
    }
    const on =
      this._readWanted && !this._pausedForWrite && !this._pausedForBudget && !this._eof &&
      this._ovId !== 0 && !this.connecting;
    if (on && !this._reading) {
      const r = native.readStart(this._ovId);
      if (r < 0) {
        this.destroy(errnoException(r, 'read'));
        return;
      }
      this._reading = true;
    } else if (!on && this._reading) {
      this._reading = false;
      native.readStop(this._ovId);
    }
    this._updateRef();
  }

  /** @internal the global budget pauses or resumes this socket's reads */
  _setBudgetPause(paused: boolean): void {
    this._pausedForBudget = paused;
    this._updateReading();
  }

  /** @internal 'drain' after a pause for write back-pressure (see onDrain below) */
  _onDrain(): void {
    this._pausedForWrite = false;
    this._updateReading();
  }

  // ---- writing ------------------------------------------------------------------------------

  // write() and end() are where bytes enter the userland queue: the hard limit is checked
  // before a chunk is taken, the budget learns the new queue length after.
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    // node:net's writeAfterFIN: once the peer's end has been emitted and a socket that is not
    // half-open has ended its side, a write destroys it with EPIPE, named for what happened.
    if (this.writableEnded && this.readableEnded && !this.allowHalfOpen) {
      const err = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
      const callback = typeof encoding === 'function' ? encoding : cb;
      if (typeof callback === 'function') process.nextTick(callback as (e: Error) => void, err);
      this.destroy(err);
      return false;
    }
    if (!this._admit(chunk, encoding)) return false;
    const r = (super.write as (...a: unknown[]) => boolean)(chunk, encoding, cb);
    this._queuedChanged();
    return r;
  }

  override end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk !== 'function' && chunk != null && !this._admit(chunk, encoding)) return this;
    (super.end as (...a: unknown[]) => this)(chunk, encoding, cb);
    this._queuedChanged();
    return this;
  }

  private _admit(chunk: unknown, encoding: unknown): boolean {
    return admit(this, this._writeLimit, chunk, encoding);
  }

  private _queuedChanged(): void {
    if (this.destroyed) return;
    report(this, this.writableLength);
    // Reads pause when the program answers this socket's own data faster than the peer takes
    // the answers: a write that leaves the queue above the high water mark, made while this
    // socket's data is being dispatched. Writes from elsewhere (a client uploading while it
    // downloads, a relay writing what another socket read) do not pause this socket's reads:
    // a careful full-duplex program must not deadlock because both ends stopped reading.
    if (this._pauseOnWriteBackpressure && this._dispatching && this.writableNeedDrain && !this._pausedForWrite) {
      this._pausedForWrite = true;
      this._updateReading();
      this.once('drain', onDrain);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: WriteCallback): void {
    this._send(chunk, chunk.length, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: WriteCallback): void {
    const bufs = new Array<Buffer>(chunks.length);
    let total = 0;
    for (let i = 0; i < chunks.length; i++) {
      bufs[i] = chunks[i].chunk;
      total += bufs[i].length;
    }
    this._send(bufs, total, cb);
  }

  private _send(chunks: Buffer | Buffer[], total: number, cb: WriteCallback): void {
    if (this.connecting) {
      // Held until connected. As node:net (_writeGeneric): if the socket closes first, the
      // write is answered at 'close', by a listener added now.
      const onClose = (): void => cb(ERR_SOCKET_CLOSED_BEFORE_CONNECTION());
      this._pendingWrite = { chunks: Array.isArray(chunks) ? chunks : [chunks], cb, onClose };
      this.once('close', onClose);
      return;
    }
    // A path's socket has no native handle (the TCP path below pays no extra check).
    const pipe = this._ovId === 0 ? this._pipe : undefined;
    if (pipe !== undefined) {
      this._bytesDispatched += total;
      this._touch();
      // The write leaves this socket's queue when node:net's completes: the budget hears of
      // it then, as from a Write event (a stale count would keep the socket paused).
      const done = (err: Error | null | undefined): void => {
        cb(err ?? null);
        if (!this.destroyed) report(this, this.writableLength);
      };
      if (Array.isArray(chunks)) {
        pipe.cork();
        for (let i = 0; i < chunks.length - 1; i++) pipe.write(chunks[i]);
        pipe.write(chunks[chunks.length - 1], done);
        pipe.uncork();
      } else {
        pipe.write(chunks, done);
      }
      return;
    }
    if (this._ovId === 0) {
      cb(ERR_SOCKET_CLOSED());
      return;
    }
    if (total === 0) {
      cb(null);
      return;
    }
    const r = native.write(this._ovId, chunks);
    if (r < 0) {
      cb(errnoException(r, 'write'));
      return;
    }
    this._bytesDispatched += total;
    this._touch();
    // 1: the kernel took every byte at once, as libuv's uv_try_write lets node:net finish a
    // write; the callback runs now (Writable defers the user's own callback to a tick).
    if (r === 1) {
      cb(null);
    } else {
      this._writeCb = cb;
      this._updateRef();
    }
  }

  override _final(cb: WriteCallback): void {
    if (this.connecting) {
      this.once('connect', () => this._final(cb));
      return;
    }
    if (this._pipe !== undefined) {
      this._pipe.end(() => cb(null));
      return;
    }
    if (this._ovId === 0) {
      // Never connected: as node:net, the end waits for a connection ('finish' with it).
      this.once('connect', () => this._final(cb));
      return;
    }
    const r = native.shutdown(this._ovId);
    // As node: a peer already gone (ENOTCONN) is not a failure of end().
    if (r < 0 && errnoName(r) !== 'ENOTCONN') cb(errnoException(r, 'shutdown'));
    else cb(null);
  }

  /**
   * Bytes sent, counting those handed to the kernel and those still queued, as node:net
   * counts them: dispatched, plus the stream's buffer (writes behind the one in flight),
   * plus a write held until connected. writableLength would count the write in flight twice.
   */
  get bytesWritten(): number {
    let bytes = this._bytesDispatched;
    if (this._pendingWrite) for (const c of this._pendingWrite.chunks) bytes += c.length;
    const queued = (this as unknown as { writableBuffer?: Array<{ chunk: Buffer | string; encoding: BufferEncoding }> }).writableBuffer;
    if (queued) for (const e of queued) bytes += typeof e.chunk === 'string' ? Buffer.byteLength(e.chunk, e.encoding) : e.chunk.length;
    return bytes;
  }

  // ---- teardown -----------------------------------------------------------------------------

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    // node:net's 'close' says hadError only where it closed a handle; one that never had a
    // handle (never connected, no lookup running) emits 'close' with no argument.
    const hadHandle = this._ovId !== 0 || this.connecting || this._pipe !== undefined;
    this._clearTimer();
    if (this._attempts !== undefined) {
      clearTimeout(this._attempts.timer);
      this._attempts = undefined;
    }
    this.connecting = false;
    this._hadError = err != null;
    if (this._fwd !== undefined) this._unforward(); // counts the bytes; the close ends the rest
    forget(this);
    this._pendingWrite = undefined; // answered at 'close' (see _send)
    // cb() schedules 'error'; 'close' must come after it, as in node:net.
    cb(err);
    const pipe = this._pipe !== undefined && !this._pipe.closed ? this._pipe : undefined;
    if (pipe === undefined && this._ovId === 0) {
      // No handle to close; still a loop turn later, as node:net's handle close would be.
      setImmediate(() => this._emitClose(hadHandle));
      return;
    }
    // node:net emits 'close' from the handle's close callback, which libuv runs in the
    // loop's closing phase: after the setImmediate()s queued in the turn destroy() ran in.
    // kClose (or the pipe's 'close') can come sooner (epoll: a later round of this same poll
    // phase), so 'close' waits for both it and an immediate queued now (issue #11).
    let left = 2;
    const done = (): void => {
      if (--left === 0) this._emitClose();
    };
    this._closeCb = done;
    setImmediate(done);
    if (pipe !== undefined) {
      pipe.destroy(); // no reset for a pipe: resetAndDestroy() hands that to node:net, which refuses it
    } else {
      this._reading = false;
      this._readWanted = false;
      native.close(this._ovId, this._resetOnClose);
    }
  }

  private _emitClose(hadHandle = true): void {
    const scope = this._async ?? this._newScope();
    const args: [string, ...boolean[]] = hadHandle ? ['close', this._hadError] : ['close'];
    if (scope === undefined) {
      this.emit(...args);
      return;
    }
    // As node:net's handle close callback: in the socket's own context, whether kClose or
    // the immediate of _destroy() came last; then the resource ends, as a closed TCPWrap.
    scope.runInAsyncScope(this.emit, this, ...args);
    scope.emitDestroy();
  }

  /**
   * Closes the connection with an RST (an abortive close: unsent data is dropped, the peer
   * sees ECONNRESET) and destroys the socket. While connecting, that happens once connected;
   * a socket with no connection is destroyed with ERR_SOCKET_CLOSED. As node:net's.
   */
  resetAndDestroy(): this {
    if (this._pipe !== undefined) {
      this._pipe.resetAndDestroy(); // node:net's answer for a pipe: ERR_INVALID_HANDLE_TYPE
      return this;
    }
    if (this._ovId !== 0 || this.connecting) {
      if (this.connecting) this.once('connect', () => this._reset());
      else this._reset();
    } else {
      this.destroy(ERR_SOCKET_CLOSED());
    }
    return this;
  }

  private _reset(): void {
    this._resetOnClose = true;
    this.destroy();
  }

  // ---- connect ------------------------------------------------------------------------------

  connect(options: TcpSocketConnectOpts | netUtil.SocketConnectOpts, connectionListener?: () => void): this;
  connect(port: number | string, host?: string, connectionListener?: () => void): this;
  connect(port: number | string, connectionListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [options, cb] = normalizeConnectArgs(args);
    // As node:net (a null port is refused later, by its type).
    if (options.port === undefined && (options as { path?: unknown }).path == null)
      throw ERR_MISSING_ARGS(['options', 'port', 'path']);
    if (this.destroyed) {
      // A signal aborted before the socket was made has destroyed it already, and its 'error'
      // and 'close' are on their way: node:net's connect() goes on quietly and never connects
      // (it marks the socket aborted), so it must not throw here either.
      if ((this.errored as Error | null)?.name === 'AbortError') return this;
      // As node:net, a destroyed socket connects again, made new (_reinit), once its native
      // handle is gone ('close' has come). Before that we refuse: node:net would emit the
      // old connection's 'close' on the new one later.
      if (this._ovId !== 0 || this._pipe !== undefined) throw ERR_SOCKET_CLOSED();
      this._reinit();
    }
    if (this.connecting || this._ovId !== 0 || this._pipe !== undefined) {
      throw ERR_INVALID_ARG_VALUE('socket', 'connected', 'is already connected or connecting');
    }
    if (typeof cb === 'function') this.once('connect', cb);
    const path = (options as { path?: unknown }).path;
    if (path) {
      if (typeof path !== 'string') throw ERR_INVALID_ARG_TYPE('options.path', 'of type string', path);
      this.connecting = true;
      this._connectPipe(path);
      return this;
    }
    // noDelay and keepAlive are the constructor's options (net.connect() passes them there),
    // as on node:net, whose connect() does not read them.
    ensureStarted();
    this.connecting = true;
    // Where node:net makes the socket's handle: its events run in connect()'s context.
    this._async = newAsyncScope('TCPWRAP');
    lookupAndConnect(this, options);
    return this;
  }

  // What connect() on a destroyed socket starts from: the stream's state (Duplex's
  // _undestroy, as node:net calls it), this socket's flags and connection state, and its
  // byte counts (node:net's are per handle) start over; what the program set (ref/unref,
  // noDelay, keep-alive, pauseOnWriteBackpressure, onread, writeLimit, blockList) stays.
  private _reinit(): void {
    this._flags &= Flag.refed | Flag.noDelay | Flag.pauseOnWriteBackpressure;
    const keepAlive = this._keepAlive;
    const blockList = this._blockList;
    this._rare = undefined;
    if (keepAlive) this._keepAlive = keepAlive;
    if (blockList) this._blockList = blockList;
    this._writeCb = undefined;
    this._async = undefined;
    this.bytesRead = 0;
    this._bytesDispatched = 0;
    if (this._onread) {
      this._onread.left = undefined;
      this._onread.eof = false;
    }
    (this as unknown as { _undestroy(): void })._undestroy();
  }

  /** @internal */
  _connectTo(address: string, family: 4 | 6, port: number, localAddress?: string, localPort?: number): void {
    if (!this.connecting || this.destroyed) return;
    this._boundLocally = localAddress !== undefined || localPort !== undefined;
    const id = this._startConnect(address, family, port, localAddress, localPort);
    if (id === BLOCKED) this.destroy(ERR_IP_BLOCKED(address));
    else if (id < 0) this.destroy(this._connectError(id, address, port));
  }

  // One connect to one address (node:net's internalConnect, or one attempt of
  // internalConnectMultiple): 'connectionAttempt', then a native socket attached to this
  // one. Returns its id, or the synchronous failure (negative), which the caller handles.
  private _startConnect(address: string, family: 4 | 6, port: number, localAddress?: string, localPort?: number): number {
    this._host = address;
    this._connectPort = port;
    this._peer = undefined;
    // As node:net: a localPort alone binds it on the wildcard address of the peer's family;
    // the native side binds only when given an address.
    if (localPort && !localAddress) localAddress = family === 4 ? '0.0.0.0' : '::';
    this.emit('connectionAttempt', address, port, family);
    if (this._blockList?.check(address, family === 6 ? 'ipv6' : 'ipv4')) return BLOCKED;
    const id = native.connect(family, address, port, localAddress ?? '', localPort ?? 0);
    if (id >= 0) this._attach(id);
    return id;
  }

  private _connectError(result: number, address: string, port: number): Error {
    const err = exceptionWithHostPort(result, 'connect', address, port);
    // Nothing bound by the program: a failure that means no free local port says so.
    if (!this._boundLocally) err.message += portExhaustionHint(err.code);
    return err;
  }

  /** @internal Happy eyeballs over these addresses (node:net's internalConnectMultiple). */
  _connectMultiple(attempts: Attempts): void {
    this._attempts = attempts;
    this.autoSelectFamilyAttemptedAddresses = [];
    this._nextAttempt(false);
  }

  // The next address, after the one before failed or timed out; past the last, the socket is
  // destroyed with every attempt's error (an AggregateError, code that of the first).
  private _nextAttempt(canceled: boolean): void {
    const at = this._attempts as Attempts;
    clearTimeout(at.timer);
    if (this.destroyed || !this.connecting) return;
    if (canceled || at.current === at.addresses.length) {
      this._attempts = undefined;
      this.destroy(at.errors.length === 0 ? ERR_SOCKET_CONNECTION_TIMEOUT() : aggregateError(at.errors));
      return;
    }
    const current = at.current++;
    this._dropAttempt();
    const { address, family } = at.addresses[current];
    const id = this._startConnect(address, family as 4 | 6, at.port, undefined, at.localPort);
    this.autoSelectFamilyAttemptedAddresses.push(`${address}:${at.port}`);
    if (id === BLOCKED) {
      // As node:net: that address fails with ERR_IP_BLOCKED, and the next is tried.
      const err = ERR_IP_BLOCKED(address);
      at.errors.push(err);
      this.emit('connectionAttemptFailed', address, at.port, family, err);
      if (this.connecting) this._nextAttempt(false);
      return;
    }
    if (id < 0) {
      this._attemptFailed(id, address, family);
      return;
    }
    if (current < at.addresses.length - 1) {
      at.timer = setTimeout(() => this._attemptTimedOut(address, family), at.timeout);
    }
  }

  private _attemptFailed(result: number, address: string, family: number): void {
    const at = this._attempts as Attempts;
    const err = exceptionWithHostPort(result, 'connect', address, at.port);
    at.errors.push(err);
    this.emit('connectionAttemptFailed', address, at.port, family, err);
    if (this.connecting) this._nextAttempt(result === uvErrno('ECANCELED'));
  }

  private _attemptTimedOut(address: string, family: number): void {
    const at = this._attempts;
    if (at === undefined || !this.connecting) return;
    this.emit('connectionAttemptTimeout', address, at.port, family);
    at.errors.push(exceptionWithHostPort(uvErrno('ETIMEDOUT'), 'connect', address, at.port));
    this._dropAttempt();
    if (this.connecting) this._nextAttempt(false);
  }

  // Closes the native socket of an attempt given up on. Its late events (the connect's
  // answer, its kClose) go to an owner that ignores them; the Socket goes on without a handle
  // until the next attempt attaches one.
  private _dropAttempt(): void {
    const id = this._ovId;
    if (id === 0) return;
    registerHandle(id, droppedAttempt);
    native.close(id, false);
    this._ovId = 0;
  }

  private _afterConnect(result: number): void {
    if (!this.connecting) return;
    const at = this._attempts;
    if (result < 0) {
      if (at !== undefined) {
        clearTimeout(at.timer);
        this._attemptFailed(result, this._host ?? '', netUtil.isIP(this._host ?? ''));
        return;
      }
      const host = this._host ?? '';
      const err = this._connectError(result, host, this._connectPort ?? 0);
      this.emit('connectionAttemptFailed', host, this._connectPort, netUtil.isIP(host), err);
      this.destroy(err);
      return;
    }
    if (at !== undefined) {
      clearTimeout(at.timer);
      this._attempts = undefined;
    }
    this.connecting = false;
    this._touch();
    // As node:net, whose write made while connecting waits on 'connect' itself: 'connect'
    // first, then that write goes out (its callback after 'connect'), then 'ready'. A
    // 'connect' listener that destroys the socket leaves it to be answered at 'close'.
    this.emit('connect');
    const pending = this._pendingWrite;
    this._pendingWrite = undefined;
    if (pending) {
      this.off('close', pending.onClose);
      let total = 0;
      for (const c of pending.chunks) total += c.length;
      this._send(pending.chunks, total, pending.cb);
      // The budget learnt of these bytes at write(); when the kernel takes them at once (and
      // the writes queued behind them, which the callback starts), no Write event will say
      // that the queue emptied, so it is said here. A stale count kept the socket paused for
      // the budget forever: both ends of an in-process connection then waited on each other.
      if (!this.destroyed) report(this, this.writableLength);
    }
    this.emit('ready');
    this._updateReading();
    if (!this.isPaused()) this.read(0); // as node:net: the first read, or an immediate EOF
  }

  // ---- IPC paths: a node:net socket underneath ----------------------------------------------
  //
  // The backends drive TCP only. A path (a Unix socket, a Windows pipe) given to connect() on
  // a Socket of ours is connected by a node:net socket that this one drives as its handle:
  // its bytes come through push() (or onread), writes, end and destroy go to it, and its
  // events become this socket's, so that the program sees node:net's behaviour. The budgets
  // see this socket's queue as for TCP; the receive pool is not used.

  private _connectPipe(path: string): void {
    const pipe = new netUtil.Socket({ allowHalfOpen: true });
    this._pipe = pipe;
    pipe.pause(); // reads follow this socket's demand (_updateReading)
    if (!this._refed) pipe.unref();
    // Its events are handled as the native handle's are (_onEvent), a chunk as a slab of its own.
    pipe.on('connect', () => this._onEvent(EventKind.Connect, 0));
    pipe.on('data', (chunk: Buffer) => this._onEvent(EventKind.Data, chunk.length, chunk, 0));
    pipe.on('end', () => this._onEvent(EventKind.Eof, 0));
    pipe.on('error', (err) => this.destroy(err));
    pipe.on('close', () => {
      if (!this.destroyed) this.destroy();
      this._pipe = undefined; // gone: a 'close' listener may connect this socket again
      this._closeCb?.();
    });
    pipe.connect(path);
  }

  // ---- options ------------------------------------------------------------------------------

  setNoDelay(noDelay = true): this {
    this._noDelay = !!noDelay;
    if (this._ovId !== 0) native.setNoDelay(this._ovId, this._noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    // As node:net, which checks nothing here: the delay is taken in whole seconds, whatever
    // it coerces to (null, NaN and a negative delay mean the system's default, 0).
    const secs = Math.max(0, ~~((initialDelay as number) / 1000));
    this._keepAlive = [!!enable, secs * 1000];
    if (this._ovId !== 0) native.setKeepAlive(this._ovId, !!enable, secs);
    return this;
  }

  /** Emits 'timeout' after `timeout` ms of inactivity (0 disables), as node:net. */
  setTimeout(timeout: number, callback?: () => void): this {
    // As node:net (setStreamTimeout): a destroyed socket takes no timer and no listener.
    if (this.destroyed) return this;
    this.timeout = timeout;
    timeout = timerDuration(timeout);
    if (callback !== undefined && typeof callback !== 'function')
      throw ERR_INVALID_ARG_TYPE('callback', 'of type function', callback);
    this._clearTimer();
    if (timeout === 0) {
      if (callback) this.removeListener('timeout', callback);
      return this;
    }
    this._timer = setTimeout(() => this._onTimeout(), timeout);
    this._timer.unref();
    if (callback) this.once('timeout', callback);
    return this;
  }

  private _onTimeout(): void {
    this._timer = undefined;
    this.emit('timeout');
  }

  private _touch(): void {
    if (this._timer) this._timer.refresh();
  }

  private _clearTimer(): void {
    if (this._timer) clearTimeout(this._timer);
    this._timer = undefined;
  }

  ref(): this {
    this._refed = true;
    this._pipe?.ref();
    this._updateRef();
    return this;
  }

  unref(): this {
    this._refed = false;
    this._pipe?.unref();
    this._updateRef();
    return this;
  }

  /** Ends the writable side, then destroys the socket once it has finished, as node:net. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', this.destroy);
  }

  /**
   * Whether this socket keeps the event loop alive: when it is referenced and active, as a
   * libuv handle is (node:net's): connecting, with a write in flight, or wanting data (the
   * stream asked for more and the peer has not ended). A paused socket, one whose reader
   * stopped taking data, or one past end-of-stream with nothing to write lets the process
   * exit. Called where one of those changes; a native call only when the answer does.
   */
  private _updateRef(): void {
    if (this._ovId === 0) return;
    const on = this._refed && (this.connecting || this._writeCb !== undefined || (this._readWanted && !this._eof));
    if (on === this._loopRef) return;
    this._loopRef = on;
    native.setRef(this._ovId, on);
  }

  // ---- addresses ----------------------------------------------------------------------------

  private _peerAddress(): [4 | 6, string, number] | undefined {
    if (this._pipe !== undefined) return undefined; // a pipe has no peer address
    if (this._peer === undefined && this._ovId !== 0 && !this.connecting) {
      const a = native.address(this._ovId, true);
      if (typeof a !== 'number') this._peer = a;
    }
    return this._peer;
  }

  get remoteAddress(): string | undefined {
    return this._peerAddress()?.[1];
  }
  get remotePort(): number | undefined {
    return this._peerAddress()?.[2];
  }
  get remoteFamily(): string | undefined {
    const a = this._peerAddress();
    return a ? `IPv${a[0]}` : undefined;
  }

  /** { address, family, port } of the local end, or {} when not bound (as node:net). */
  address(): netUtil.AddressInfo | Record<string, never> {
    if (this._pipe !== undefined) return this._pipe.address() as netUtil.AddressInfo | Record<string, never>;
    if (this._ovId === 0) return {};
    const a = native.address(this._ovId, false);
    if (typeof a === 'number') return {};
    return { address: a[1], family: `IPv${a[0]}`, port: a[2] };
  }
  get localAddress(): string | undefined {
    return (this.address() as netUtil.AddressInfo).address;
  }
  get localPort(): number | undefined {
    return (this.address() as netUtil.AddressInfo).port;
  }
  get localFamily(): string | undefined {
    return (this.address() as netUtil.AddressInfo).family;
  }

  /** True before the socket is connected (node ≥ 18). */
  //
  // node:net's getters test its handle, which destroy() drops at once; ours is freed at
  // 'close', so a destroyed socket counts as having none.
  get pending(): boolean {
    return (this._ovId === 0 && this._pipe === undefined) || this.destroyed || this.connecting;
  }

  get readyState(): SocketReadyState {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Deprecated, as node:net's: writableLength while there is a handle, else undefined. */
  get bufferSize(): number {
    const handle = (this._ovId !== 0 || this._pipe !== undefined || this.connecting) && !this.destroyed;
    return handle ? this.writableLength : (undefined as unknown as number); // typed as @types/node's
  }
}

/**
 * @internal an async resource for a socket or server handle, named as node's. Destroyed by
 * hand at 'close' (as node destroys a handle's when it closes), which also spares a GC
 * tracker per socket where a destroy hook is installed.
 */
export function newAsyncScope(type: string, triggerAsyncId?: number): AsyncResource {
  return new AsyncResource(type, { requireManualDestroy: true, triggerAsyncId });
}

// The longest delay a timer takes (a signed 32-bit int of ms); node's setTimeout() runs a
// longer one after 1 ms instead, so socket timeouts are capped first, as node:net caps them.
const TIMEOUT_MAX = 2 ** 31 - 1;

// node's getTimerDuration (lib/internal/timers.js): the checks and the cap of node:net's
// socket.setTimeout(), with the same warning.
function timerDuration(msecs: unknown): number {
  if (typeof msecs !== 'number') throw ERR_INVALID_ARG_TYPE('msecs', 'of type number', msecs);
  if (msecs < 0 || !Number.isFinite(msecs))
    throw ERR_OUT_OF_RANGE('msecs', 'a non-negative finite number', msecs);
  if (msecs > TIMEOUT_MAX) {
    process.emitWarning(
      `${msecs} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${TIMEOUT_MAX}.`,
      'TimeoutOverflowWarning',
    );
    return TIMEOUT_MAX;
  }
  return msecs;
}

// The bits of Socket#_flags, one per boolean accessor below.
const enum Flag {
  reading = 1 << 0,
  readWanted = 1 << 1,
  eof = 1 << 2,
  pausedForWrite = 1 << 3,
  dispatching = 1 << 4,
  pausedForBudget = 1 << 5,
  pauseOnWriteBackpressure = 1 << 6,
  noDelay = 1 << 7,
  refed = 1 << 8,
  loopRef = 1 << 12,
  hadError = 1 << 9,
  resetOnClose = 1 << 10,
  boundLocally = 1 << 11,
}

const flagNames: [string, Flag][] = [
  ['_reading', Flag.reading],
  ['_readWanted', Flag.readWanted],
  ['_eof', Flag.eof],
  ['_pausedForWrite', Flag.pausedForWrite],
  ['_dispatching', Flag.dispatching],
  ['_pausedForBudget', Flag.pausedForBudget],
  ['_pauseOnWriteBackpressure', Flag.pauseOnWriteBackpressure],
  ['_noDelay', Flag.noDelay],
  ['_refed', Flag.refed],
  ['_hadError', Flag.hadError],
  ['_resetOnClose', Flag.resetOnClose],
  ['_boundLocally', Flag.boundLocally],
  ['_loopRef', Flag.loopRef],
];
for (const [name, bit] of flagNames) {
  Object.defineProperty(Socket.prototype, name, {
    get(this: { _flags: number }) {
      return (this._flags & bit) !== 0;
    },
    set(this: { _flags: number }, on: boolean) {
      this._flags = on ? this._flags | bit : this._flags & ~bit;
    },
  });
}

// What a socket needs only if it connects, sets a timer or keep-alive, writes before it is
// connected, or closes while a close is pending: undefined until set.
class Rare {
  _keepAlive: [boolean, number] | undefined = undefined;
  _pendingWrite: PendingWrite | undefined = undefined;
  _timer: NodeJS.Timeout | undefined = undefined;
  _peer: [4 | 6, string, number] | undefined = undefined;
  _closeCb: (() => void) | undefined = undefined;
  _host: string | undefined = undefined;
  _connectPort: number | undefined = undefined;
  _attempts: Attempts | undefined = undefined;
  _pipe: netUtil.Socket | undefined = undefined;
  _fwd: Forwarding | undefined = undefined;
  _piped: NativePipe | undefined = undefined;
  _blockList: netUtil.BlockList | undefined = undefined;
  autoSelectFamilyAttemptedAddresses: string[] | undefined = undefined;
}

/**
 * This socket's bytes going to another socket inside the addon (lib/relay.ts). `onEnd` runs
 * once: status 0 when the peer's FIN came and all it sent is forwarded, a negative error,
 * or STOPPED when the program stopped it (unpipe, destroy); `bytes` is what was forwarded.
 */
export interface Forwarding {
  dest: Socket;
  onEnd(status: number, bytes: number): void;
}

/** A pipe() whose bytes move inside the addon: its destination and what undoes it. */
interface NativePipe {
  dest: Socket;
  fwd: Forward;
  cleanup(): void;
}

/** A write made while connecting, and its answer should the socket close first. */
interface PendingWrite {
  chunks: Buffer[];
  cb: WriteCallback;
  onClose: () => void;
}

/** Happy eyeballs in progress: the addresses, the one being tried, and what failed so far. */
interface Attempts {
  addresses: dns.LookupAddress[];
  current: number;
  port: number;
  localPort: number | undefined;
  timeout: number;
  timer: NodeJS.Timeout | undefined;
  errors: Error[];
}

// What _startConnect() returns for an address the socket's blockList names (below any errno).
const BLOCKED = -0x7fffffff;

// Owner of an abandoned attempt's id: its events concern nobody (see _dropAttempt).
const droppedAttempt: HandleOwner = { _onEvent() {} };

for (const name of Object.keys(new Rare()) as (keyof Rare)[]) {
  Object.defineProperty(Socket.prototype, name, {
    get(this: { _rare: Rare | undefined }) {
      return this._rare?.[name];
    },
    set(this: { _rare: Rare | undefined }, value: never) {
      if (this._rare !== undefined) this._rare[name] = value;
      else if (value !== undefined) (this._rare = new Rare())[name] = value;
    },
  });
}

// ---- argument handling, as node:net's normalizeArgs -------------------------------------------

type ConnectArgs = [TcpSocketConnectOpts, (() => void) | undefined];

export function normalizeConnectArgs(args: unknown[]): ConnectArgs {
  if (args.length === 0) return [{} as TcpSocketConnectOpts, undefined];
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as () => void) : undefined;
  const first = args[0];
  let options: TcpSocketConnectOpts;
  if (first !== null && typeof first === 'object') {
    // A path counts when truthy, as in node:net (`pipe = !!path`): node:http's Agent passes
    // `path: null` (the request path's slot) to createConnection.
    options = { ...(first as TcpSocketConnectOpts) };
  } else if (isPipeName(first)) {
    options = { path: first } as unknown as TcpSocketConnectOpts;
  } else {
    options = { port: first as number };
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  return [options, cb];
}

export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw ERR_SOCKET_BAD_PORT(name, port, allowZero);
  }
  return +port | 0;
}

function lookupAndConnect(socket: Socket, options: TcpSocketConnectOpts): void {
  // node:net's lookupAndConnect(), check for check and in its order.
  const { localAddress, localPort } = options;
  const host = options.host || 'localhost';
  if (localAddress && !netUtil.isIP(localAddress)) throw ERR_INVALID_IP_ADDRESS(localAddress);
  if (localPort && typeof localPort !== 'number')
    throw ERR_INVALID_ARG_TYPE('options.localPort', 'of type number', localPort);
  // An undefined port is 0, as node:net takes it ({ path: '' } gets here with none).
  let port = 0;
  if (options.port !== undefined) {
    if (typeof options.port !== 'number' && typeof options.port !== 'string')
      throw ERR_INVALID_ARG_TYPE('options.port', 'one of type number or string', options.port);
    port = validatePort(options.port);
  }
  let autoSelectFamily = options.autoSelectFamily;
  if (autoSelectFamily != null) {
    if (typeof autoSelectFamily !== 'boolean')
      throw ERR_INVALID_ARG_TYPE('options.autoSelectFamily', 'of type boolean', autoSelectFamily);
  } else {
    autoSelectFamily = netUtil.getDefaultAutoSelectFamily();
  }
  let attemptTimeout = options.autoSelectFamilyAttemptTimeout;
  if (attemptTimeout != null) {
    validateInt32(attemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1);
    if (attemptTimeout < 10) attemptTimeout = 10;
  } else {
    attemptTimeout = netUtil.getDefaultAutoSelectFamilyAttemptTimeout();
  }

  const ipFamily = netUtil.isIP(host);
  if (ipFamily !== 0) {
    // An address needs no lookup; connect on the next tick, as node:net does.
    process.nextTick(() => socket._connectTo(host, ipFamily as 4 | 6, port, localAddress || undefined, localPort || undefined));
    return;
  }
  if (options.lookup != null && typeof options.lookup !== 'function')
    throw ERR_INVALID_ARG_TYPE('options.lookup', 'of type function', options.lookup);
  const given = options.family as number | string | undefined; // 'IPv4'/'IPv6' from address()
  const family = given === 'IPv4' ? 4 : given === 'IPv6' ? 6 : (given ?? 0);
  // What dns.lookup() would refuse, refused here for any lookup, as a custom one gets it too.
  if (family !== 0 && family !== 4 && family !== 6)
    throw ERR_INVALID_ARG_VALUE('options.family', family, 'must be one of: 0, 4, 6');
  // As node:net: without a family or hints, only the families this host has an address of.
  const hints = options.hints || (process.platform !== 'win32' && family === 0 ? dns.ADDRCONFIG : 0);
  const lookup = (options.lookup ?? dns.lookup) as typeof dns.lookup;
  if (family === 0 && !localAddress && autoSelectFamily) {
    lookupAndConnectMultiple(socket, lookup, host, { family, hints, all: true }, options, port, localPort || undefined, attemptTimeout);
    return;
  }
  const dnsOpts: dns.LookupOneOptions = { family, hints };
  let answered = false;
  lookup(host, dnsOpts, (err, address, addrFamily) => {
    // A custom lookup may call back more than once; a second answer would connect a second
    // native socket that nothing owns after the first is destroyed (issue #11). Only the
    // first counts.
    if (answered) return;
    answered = true;
    socket.emit('lookup', err, address, addrFamily, host);
    if (!socket.connecting) return;
    let failure: Error | null = err;
    if (!failure && !netUtil.isIP(address)) failure = ERR_INVALID_IP_ADDRESS(address);
    else if (!failure && addrFamily !== 4 && addrFamily !== 6)
      failure = ERR_INVALID_ADDRESS_FAMILY(addrFamily, options.host, options.port);
    if (failure) {
      const e = failure;
      process.nextTick(() => socket.destroy(e));
      return;
    }
    socket._connectTo(address, addrFamily as 4 | 6, port, localAddress || undefined, localPort || undefined);
  });
}

// node:net's lookupAndConnectMultiple(): every address of the host, deduplicated, ordered
// alternating families starting with the first answer's; one address connects as usual.
function lookupAndConnectMultiple(
  socket: Socket,
  lookup: typeof dns.lookup,
  host: string,
  dnsOpts: dns.LookupAllOptions,
  options: TcpSocketConnectOpts,
  port: number,
  localPort: number | undefined,
  timeout: number,
): void {
  let answered = false;
  (lookup as (h: string, o: dns.LookupAllOptions, cb: (e: Error | null, a: dns.LookupAddress[]) => void) => void)(
    host,
    dnsOpts,
    (err, addresses) => {
      if (answered) return; // only the first answer counts, as above
      answered = true;
      if (!socket.connecting) return;
      if (err) {
        socket.emit('lookup', err, undefined, undefined, host);
        process.nextTick(() => socket.destroy(err));
        return;
      }
      const valid: [dns.LookupAddress[], dns.LookupAddress[]] = [[], []];
      let first: 4 | 6 | undefined;
      for (const a of Array.isArray(addresses) ? addresses : []) {
        socket.emit('lookup', err, a.address, a.family, host);
        if (!socket.connecting) return;
        if (netUtil.isIP(a.address) && (a.family === 4 || a.family === 6)) {
          first ??= a.family;
          const list = valid[a.family === first ? 0 : 1];
          if (!list.some((b) => b.address === a.address)) list.push(a);
        }
      }
      if (valid[0].length === 0) {
        const a = Array.isArray(addresses) ? addresses[0] : undefined;
        const e = !a || !netUtil.isIP(a.address)
          ? ERR_INVALID_IP_ADDRESS(a?.address)
          : ERR_INVALID_ADDRESS_FAMILY(a.family, options.host, options.port);
        process.nextTick(() => socket.destroy(e));
        return;
      }
      const toAttempt: dns.LookupAddress[] = [];
      for (let i = 0; i < Math.max(valid[0].length, valid[1].length); i++) {
        if (i < valid[0].length) toAttempt.push(valid[0][i]);
        if (i < valid[1].length) toAttempt.push(valid[1][i]);
      }
      if (toAttempt.length === 1) {
        socket._connectTo(toAttempt[0].address, toAttempt[0].family as 4 | 6, port, undefined, localPort);
        return;
      }
      socket._connectMultiple({ addresses: toAttempt, current: 0, port, localPort, timeout, timer: undefined, errors: [] });
    },
  );
}

function validateInt32(value: unknown, name: string, min: number): asserts value is number {
  if (typeof value !== 'number') throw ERR_INVALID_ARG_TYPE(name, 'of type number', value);
  if (!Number.isInteger(value)) throw ERR_OUT_OF_RANGE(name, 'an integer', value);
  if (value < min || value > 2 ** 31 - 1) throw ERR_OUT_OF_RANGE(name, `>= ${min} && <= 2147483647`, value);
}
