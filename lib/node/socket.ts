// The node backend's Socket: node:net's own Socket, plus what overlapped adds that can be
// kept in JavaScript: the per-socket hard write limit (writeLimit), pausing reads while this
// socket's answers back up (pauseOnWriteBackpressure), and the global write budget
// (lib/budget.ts, the same code the native backends use). Used where the addon cannot load
// or OVERLAPPED_BACKEND=node (lib/binding.ts chooses); the public types stay lib/socket.ts's.
//
// Reads are held back the way node:net's own pause() holds them for onread sockets: the
// handle's `reading` flag and readStop()/readStart(). node:net has no public call that stops
// the handle without changing the stream's flowing state, which is the program's to change.
import * as net from 'node:net';
import { Duplex } from 'node:stream';

import { admit, forget, report, type Budgeted } from '../budget';
import { checkWriteLimit, config } from '../config';
import { ERR_INVALID_ARG_TYPE, ERR_OVERLAPPED_UNSUPPORTED, errnoException, portExhaustionHint } from '../errors';
import type { OnReadOpts, SocketConstructorOpts } from '../socket';

/** The libuv stream handle behind a node:net Socket (node's lib/net.js `_handle`). */
interface NodeHandle {
  reading?: boolean;
  readStart?(): number;
  readStop?(): number;
}

/** Counters of the node backend's sockets, for stats(). */
export const socketCounters = { socketsOpen: 0 };

function uncount(this: Socket): void {
  socketCounters.socketsOpen--;
}

function onDrain(this: Socket): void {
  this._pausedForWrite = false;
  this._updateHold();
}

// onread's state where node:net cannot keep it: on sockets a Server accepted (node:net takes
// onread on client sockets only; overlapped's createServer() takes it too).
interface OnReadEmulation {
  buf: Uint8Array | undefined;
  gen: (() => Uint8Array) | undefined;
  cb: OnReadOpts['callback'];
  left: Buffer | undefined; // the bytes a paused callback has not taken
  eof: boolean; // the peer's FIN came behind `left`
  paused: boolean;
}

function wellFormed(onread: unknown): onread is OnReadOpts {
  const o = onread as OnReadOpts | null | undefined;
  return (
    o !== null && typeof o === 'object' &&
    (o.buffer instanceof Uint8Array || typeof o.buffer === 'function') &&
    typeof o.callback === 'function'
  );
}

// A client socket's onread goes to node:net, with the callback wrapped so that writes made
// from it count as this socket's answers (pauseOnWriteBackpressure), as 'data' listeners do.
function wrapOnread(onread: OnReadOpts): net.OnReadOpts {
  const cb = onread.callback;
  return {
    buffer: onread.buffer,
    // node:net calls it on the socket, as `this`
    callback(this: unknown, n: number, buf: Uint8Array): boolean {
      const socket = this as Socket;
      socket._dispatching = true;
      try {
        return cb.call(socket as never, n, buf) as boolean;
      } finally {
        socket._dispatching = false;
      }
    },
  };
}

/** Options a Server gives the sockets it accepts. */
export interface AcceptOpts {
  writeLimit: number;
  pauseOnWriteBackpressure: boolean;
  onread: OnReadOpts | undefined;
}

export class Socket extends net.Socket implements Budgeted {
  // Declared, not initialised: a socket node:net's Server accepted is made one of these by
  // adopt(), which no field initialiser would run for; _init() sets them for both.
  /** @internal */
  declare _queued: number;
  /** @internal */
  declare _pausedForBudget: boolean;
  /** @internal */
  declare _pausedForWrite: boolean;
  /** @internal inside this socket's own 'data' dispatch */
  declare _dispatching: boolean;
  declare private _writeLimit: number;
  declare private _pauseOnWriteBackpressure: boolean;
  declare private _heldReading: boolean; // the handle was reading when a hold stopped it
  declare private _deferredRead: boolean; // the stream asked for data during a hold
  declare private _counted: boolean;
  declare private _boundLocally: boolean;
  declare private _emulated: OnReadEmulation | undefined;

  constructor(options: SocketConstructorOpts = {}) {
    if (options === null || typeof options !== 'object')
      throw ERR_INVALID_ARG_TYPE('options', 'of type object', options);
    // As the native backends, so that a program behaves the same on every backend.
    if (options.fd !== undefined) throw ERR_OVERLAPPED_UNSUPPORTED('wrapping an existing fd');
    const { writeLimit, pauseOnWriteBackpressure, onread, ...rest } = options;
    const limit = writeLimit === undefined ? config.socketWriteLimit : checkWriteLimit(writeLimit);
    super({ ...rest, onread: wellFormed(onread) ? wrapOnread(onread) : (onread as never) } as net.SocketConstructorOpts);
    this._init(limit, pauseOnWriteBackpressure !== false, undefined);
  }

  /** @internal */
  _init(writeLimit: number, pauseOnWriteBackpressure: boolean, onread: OnReadOpts | undefined): void {
    this._queued = 0;
    this._pausedForBudget = false;
    this._pausedForWrite = false;
    this._dispatching = false;
    this._writeLimit = writeLimit;
    this._pauseOnWriteBackpressure = pauseOnWriteBackpressure;
    this._heldReading = false;
    this._deferredRead = false;
    this._counted = false;
    this._boundLocally = false;
    this._emulated = undefined;
    if (onread !== undefined && wellFormed(onread)) {
      const fn = typeof onread.buffer === 'function';
      this._emulated = {
        buf: fn ? undefined : (onread.buffer as Uint8Array),
        gen: fn ? (onread.buffer as () => Uint8Array) : undefined,
        cb: onread.callback,
        left: undefined,
        eof: false,
        paused: false,
      };
    }
  }

  /** @internal counted in stats().socketsOpen from now until 'close' */
  _countOpen(): void {
    if (this._counted) return;
    this._counted = true;
    socketCounters.socketsOpen++;
    this.once('close', uncount);
  }

  private get _nodeHandle(): NodeHandle | null {
    return (this as unknown as { _handle: NodeHandle | null })._handle;
  }

  // ---- connecting ----------------------------------------------------------------------------

  override connect(...args: unknown[]): this {
    // IPC paths are node:net's own here, as the native Socket drives a node:net socket for
    // them (lib/socket.ts _connectPipe).
    const first = args[0];
    if (first !== null && typeof first === 'object') {
      const o = first as { localAddress?: unknown; localPort?: unknown };
      this._boundLocally = o.localAddress !== undefined || o.localPort !== undefined;
      // As on the native backends (lib/socket.ts lookupAndConnect): a lookup's second answer
      // is ignored; node:net would connect the handle again and fail it with EALREADY.
      const lookup = (first as { lookup?: unknown }).lookup;
      if (typeof lookup === 'function') {
        args[0] = {
          ...first,
          lookup(host: string, opts: unknown, cb: (...a: unknown[]) => void) {
            let answered = false;
            return lookup(host, opts, (...a: unknown[]) => {
              if (answered) return;
              answered = true;
              cb(...a);
            });
          },
        };
      }
    }
    (super.connect as (...a: unknown[]) => this)(...args);
    // node:net's connect() undoes a writeAfterFIN it may have set with
    // `if (this.write !== Socket.prototype.write) this.write = Socket.prototype.write`, which,
    // on a subclass, puts node:net's own write() on the instance, over this class's: the
    // connecting socket's writes then skipped the hard limit and the budget's count. The
    // instance property goes, and the class's write() is the one called again.
    if (Object.prototype.hasOwnProperty.call(this, 'write') && this.write === net.Socket.prototype.write) {
      delete (this as { write?: unknown }).write;
    }
    this._countOpen();
    return this;
  }

  // ---- reading -------------------------------------------------------------------------------

  // Every chunk node:net reads comes through here: what the program writes from the 'data'
  // listeners this runs is this socket's answer (pauseOnWriteBackpressure).
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    const emulated = this._emulated;
    if (emulated !== undefined) {
      if (chunk === null) {
        if (emulated.left !== undefined) {
          emulated.eof = true;
          return false;
        }
        return super.push(null);
      }
      return this._readInto(emulated, chunk as Buffer);
    }
    this._dispatching = true;
    try {
      return super.push(chunk, encoding);
    } finally {
      this._dispatching = false;
    }
  }

  // onread for an accepted socket: copies into the program's buffer, calling back per fill;
  // a false return stops reads (node:net's onStreamRead stops the handle when push() returns
  // false) and keeps what is left for resume().
  private _readInto(e: OnReadEmulation, chunk: Buffer): boolean {
    if (e.buf === undefined && e.gen) e.buf = e.gen();
    let offset = 0;
    while (offset < chunk.length && !this.destroyed) {
      const buf = e.buf as Uint8Array;
      const n = Math.min(chunk.length - offset, buf.byteLength);
      if (n === 0) {
        this.destroy(new RangeError('overlapped: the onread buffer is empty'));
        return false;
      }
      chunk.copy(buf, 0, offset, offset + n);
      offset += n;
      this._dispatching = true;
      let go: boolean;
      try {
        go = e.cb.call(this as never, n, buf) !== false;
      } finally {
        this._dispatching = false;
      }
      if (e.gen) {
        const next = e.gen();
        if (next instanceof Uint8Array) e.buf = next;
      }
      if (!go) {
        if (offset < chunk.length) e.left = chunk.subarray(offset);
        e.paused = true;
        return false;
      }
    }
    return true;
  }

  override _read(size: number): void {
    if (this._pausedForWrite || this._pausedForBudget) {
      this._deferredRead = true;
      return;
    }
    super._read(size);
  }

  override pause(): this {
    const e = this._emulated;
    if (e !== undefined) {
      // As node:net's pause() for onread sockets: the handle stops.
      e.paused = true;
      this._heldReading = false;
      this._stopHandle();
    }
    return super.pause();
  }

  override resume(): this {
    const e = this._emulated;
    if (e !== undefined && e.paused) {
      e.paused = false;
      const left = e.left;
      e.left = undefined;
      if (left !== undefined && !this._readInto(e, left)) return super.resume(); // paused again
      if (e.eof) {
        e.eof = false;
        super.push(null);
        this.read(0); // as node:net after the FIN: 'end' now if nothing is buffered
      }
      if (this._held()) this._heldReading = true;
      else this._startHandle();
    }
    return super.resume();
  }

  private _held(): boolean {
    return this._pausedForWrite || this._pausedForBudget;
  }

  private _stopHandle(): boolean {
    const h = this._nodeHandle;
    if (!h?.reading || h.readStop === undefined) return false;
    h.reading = false;
    const err = h.readStop();
    if (err) this.destroy(errnoException(err, 'read'));
    return true;
  }

  private _startHandle(): void {
    const h = this._nodeHandle;
    if (h === null || h.reading || h.readStart === undefined || this.destroyed || this.connecting) return;
    h.reading = true;
    const err = h.readStart();
    if (err) this.destroy(errnoException(err, 'read'));
  }

  /** @internal reads stop while a budget holds them, and go on as they were after */
  _updateHold(): void {
    if (this._held()) {
      if (this._stopHandle()) this._heldReading = true;
      return;
    }
    if (this._deferredRead) {
      this._deferredRead = false;
      this._heldReading = false;
      if (!this.destroyed) super._read(this.readableHighWaterMark);
    } else if (this._heldReading) {
      this._heldReading = false;
      this._startHandle();
    }
  }

  /** @internal the global budget pauses or resumes this socket's reads */
  _setBudgetPause(paused: boolean): void {
    this._pausedForBudget = paused;
    this._updateHold();
  }

  // ---- writing -------------------------------------------------------------------------------

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (!admit(this, this._writeLimit, chunk, encoding)) return false;
    const r = (super.write as (...a: unknown[]) => boolean)(chunk, encoding, cb);
    this._queuedChanged();
    return r;
  }

  override end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk !== 'function' && chunk != null && !admit(this, this._writeLimit, chunk, encoding)) return this;
    (super.end as (...a: unknown[]) => this)(chunk, encoding, cb);
    this._queuedChanged();
    return this;
  }

  // The same policy as lib/socket.ts's _queuedChanged: the budget learns the new queue
  // length, and an answer to this socket's own data that leaves its queue above the high
  // water mark stops its reads until 'drain'.
  private _queuedChanged(): void {
    if (this.destroyed) return;
    report(this, this.writableLength);
    if (this._pauseOnWriteBackpressure && this._dispatching && this.writableNeedDrain && !this._pausedForWrite) {
      this._pausedForWrite = true;
      this._updateHold();
      this.once('drain', onDrain);
    }
  }

  // A write the kernel has taken leaves the queue: the budget hears of it.
  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    super._write(chunk, encoding, this._afterWrite(cb));
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    cb: (error?: Error | null) => void,
  ): void {
    (super._writev as NonNullable<Duplex['_writev']>).call(this, chunks, this._afterWrite(cb));
  }

  private _afterWrite(cb: (error?: Error | null) => void): (error?: Error | null) => void {
    return (error) => {
      cb(error);
      if (!this.destroyed) report(this, this.writableLength);
    };
  }

  // A connect that failed for want of a free local port says so, as on the native backends.
  override destroy(error?: Error): this {
    const e = error as (Error & { syscall?: string; code?: string }) | undefined;
    if (e?.syscall === 'connect' && !this._boundLocally && !this.destroyed) e.message += portExhaustionHint(e.code);
    return super.destroy(error);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    forget(this);
    super._destroy(err, cb);
  }
}

/**
 * Makes a socket node:net's Server accepted into one of ours (node:net's Server constructs
 * its own Socket class, with no way to name another).
 */
export function adopt(raw: net.Socket, opts: AcceptOpts): Socket {
  Object.setPrototypeOf(raw, Socket.prototype);
  const s = raw as Socket;
  s._init(opts.writeLimit, opts.pauseOnWriteBackpressure, opts.onread);
  s._countOpen();
  return s;
}
