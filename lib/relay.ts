// Moving bytes from one stream to another: relay(a, b) both ways, and the pipe() of one
// overlapped Socket into another (issue #12). Between two sockets of a native backend the bytes
// never enter JS: the addon reads them into its own chunks and sends them on
// (native/core/relay.h), with back-pressure (a slow destination stops its source's reads at
// `highWaterMark` bytes queued), half-close and errors carried over. Anything else (the node
// backend, a TLS socket, any Duplex) is forwarded in JS, as pipe() does.
//
// Before a native link starts, what the source has already read into its JS buffer is written
// to the destination, and the destination's own writes are let finish: bytes keep their order.
import { Duplex, type Writable } from 'node:stream';

import { inDispatch, native } from './binding';
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_OUT_OF_RANGE,
  ERR_STREAM_PREMATURE_CLOSE,
} from './errors';
import type { Socket } from './socket';

/** Options for relay(). */
export interface RelayOptions {
  /**
   * Bytes that may wait for one destination before its source stops reading (per direction).
   * Between native sockets a direction holds at most this plus one read (64 KiB) of memory,
   * however fast the source and slow the destination. Default 65536.
   */
  highWaterMark?: number;
}

/** What relay() moved: bytes from a to b and from b to a. */
export interface RelayResult {
  aToB: number;
  bToA: number;
}

/** Default RelayOptions.highWaterMark. */
export const RELAY_HIGH_WATER_MARK = 64 * 1024;

/** Forwarding.onEnd's status (lib/socket.ts) and forward()'s when stopped from JS. */
export const STOPPED = 1;

/** One direction being forwarded. */
export interface Forward {
  /** Stops forwarding; what was already read still reaches the destination. */
  stop(): void;
  /** Bytes forwarded so far. */
  bytes(): number;
}

const EMPTY = Buffer.alloc(0);

// A socket of ours on a native backend (the node backend's Socket is node:net's, and a
// Socket over an IPC path has no native handle).
function nativeSocket(s: unknown): s is Socket {
  return typeof (s as Partial<Socket>)._forward === 'function' && (s as { _pipe?: unknown })._pipe === undefined;
}

/**
 * Forwards src's bytes to dst until src ends (then dst.end() if `end`), an error, or stop().
 * onDone(status, bytes) runs once: 0 when src ended and what it sent is handed to dst, a
 * negative error (native), or STOPPED. Errors also reach the streams' own 'error' events.
 * @internal
 */
export function forward(
  src: Duplex,
  dst: Writable,
  cap: number,
  end: boolean,
  onDone: (status: number, bytes: number) => void,
  onLinked?: () => void,
): Forward {
  if (canForwardNatively(src, dst)) return nativeForward(src, dst as unknown as Socket, cap, end, onDone, onLinked);
  return jsForward(src, dst, end, onDone);
}

/** Whether forward() would move src's bytes to dst inside the addon. @internal */
export function canForwardNatively(src: unknown, dst: unknown): src is Socket {
  return (
    nativeSocket(src) &&
    nativeSocket(dst) &&
    src !== dst &&
    src.readableEncoding === null &&
    !(src as unknown as { _onread?: unknown })._onread
  );
}

function nativeForward(
  src: Socket,
  dst: Socket,
  cap: number,
  end: boolean,
  onDone: (status: number, bytes: number) => void,
  onLinked: (() => void) | undefined,
): Forward {
  let bytes = 0; // written by JS before the link, then the link's count at its end
  let done = false;
  let linked = false;
  let sawEnd = false; // src's 'end' (and dst.end() made)
  let drained = false; // the link ended with everything forwarded
  let fallback: Forward | undefined;
  const finish = (status: number): void => {
    if (done) return;
    done = true;
    src.removeListener('end', onEnd);
    onDone(status, bytes);
  };
  const onEnd = (): void => {
    sawEnd = true;
    if (end) dst.end();
    if (!linked || drained) finish(0);
  };
  src.once('end', onEnd);
  const tryLink = (): void => {
    if (done || fallback !== undefined || src.destroyed || dst.destroyed) return;
    if (inDispatch()) {
      // Events of this batch still to be dispatched may be src's: they come first, to JS.
      process.nextTick(tryLink);
      return;
    }
    if (src.connecting) {
      src.once('connect', tryLink);
      return;
    }
    if (dst.connecting) {
      dst.once('connect', tryLink);
      return;
    }
    // What the source read before: written first, in order.
    for (let chunk: Buffer | null; (chunk = src.read() as Buffer | null) !== null; ) {
      bytes += chunk.length;
      dst.write(chunk);
    }
    if (src.readableEnded || (src as unknown as { _readableState: { ended: boolean } })._readableState.ended) return; // onEnd follows
    if (dst.writableEnded) return; // nothing may be written any more: src stays as it is
    if (dst.writableLength > 0) {
      dst.write(EMPTY, tryLink); // answered once the writes before it are done
      return;
    }
    const r = src._forward(dst, cap, (status, forwarded) => {
      linked = false;
      bytes += forwarded;
      if (status === 0) {
        drained = true;
        if (sawEnd) finish(0);
      } else {
        finish(status);
      }
    });
    if (r < 0) {
      // The addon refused (a handle going away under us): forward in JS instead.
      fallback = jsForward(src, dst, end, (status, n) => {
        bytes += n;
        finish(status);
      });
      src.removeListener('end', onEnd);
      return;
    }
    linked = true;
    onLinked?.();
  };
  tryLink();
  return {
    stop() {
      if (fallback !== undefined) fallback.stop();
      else if (linked) src._unforward(); // finishes with STOPPED
      else finish(STOPPED);
    },
    bytes() {
      if (fallback !== undefined) return bytes + fallback.bytes();
      return bytes + (linked && src._ovId !== 0 ? Math.max(0, native.forwarded(src._ovId)) : 0);
    },
  };
}

function jsForward(src: Duplex, dst: Writable, end: boolean, onDone: (status: number, bytes: number) => void): Forward {
  let bytes = 0;
  let done = false;
  const onData = (chunk: Buffer | string): void => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!dst.write(chunk)) {
      src.pause();
      dst.once('drain', onDrain);
    }
  };
  const onDrain = (): void => {
    if (!done) src.resume();
  };
  const onEnd = (): void => {
    if (end) dst.end();
    finish(0);
  };
  const finish = (status: number): void => {
    if (done) return;
    done = true;
    src.removeListener('data', onData);
    src.removeListener('end', onEnd);
    dst.removeListener('drain', onDrain);
    onDone(status, bytes);
  };
  src.on('data', onData);
  src.once('end', onEnd);
  src.resume();
  return {
    stop() {
      if (done) return;
      src.pause();
      finish(STOPPED);
    },
    bytes: () => bytes,
  };
}

function validateHighWaterMark(options: unknown): number {
  if (options === undefined) return RELAY_HIGH_WATER_MARK;
  if (options === null || typeof options !== 'object')
    throw ERR_INVALID_ARG_TYPE('options', 'of type object', options);
  const hwm = (options as RelayOptions).highWaterMark;
  if (hwm === undefined) return RELAY_HIGH_WATER_MARK;
  if (typeof hwm !== 'number') throw ERR_INVALID_ARG_TYPE('options.highWaterMark', 'of type number', hwm);
  if (!Number.isInteger(hwm) || hwm < 1 || hwm > 2 ** 31 - 1)
    throw ERR_OUT_OF_RANGE('options.highWaterMark', '>= 1 && <= 2147483647', hwm);
  return hwm;
}

/**
 * Relays two connected streams both ways until both have ended: what a sends goes to b and
 * what b sends goes to a, each end (FIN) carried over on its own, then both are closed.
 * Between two overlapped sockets of a native backend no byte enters JS.
 *
 * Resolves with the bytes moved each way once both are closed. Rejects with the first error
 * either stream had, or ERR_STREAM_PREMATURE_CLOSE if one closed before both had ended; both
 * streams are destroyed then. While relaying, each stream's writable side stays open after
 * its readable side ends (half-open), and neither is destroyed by its own end.
 */
export function relay(a: Duplex, b: Duplex, options?: RelayOptions): Promise<RelayResult> {
  return openRelay(a, b, options).done;
}

/** A relay in progress (lib/cli): its outcome, and the bytes it has moved so far. @internal */
export interface OpenRelay {
  done: Promise<RelayResult>;
  bytes(): RelayResult;
}

/** relay(), with a look at its progress. @internal */
export function openRelay(a: Duplex, b: Duplex, options?: RelayOptions): OpenRelay {
  if (!(a instanceof Duplex)) throw ERR_INVALID_ARG_TYPE('a', 'an instance of Duplex', a);
  if (!(b instanceof Duplex)) throw ERR_INVALID_ARG_TYPE('b', 'an instance of Duplex', b);
  if (a === b) throw ERR_INVALID_ARG_VALUE('b', '<the same stream as a>', 'must not be the same stream as a');
  const cap = validateHighWaterMark(options);
  let ab: Forward | undefined;
  let ba: Forward | undefined;
  const done = new Promise<RelayResult>((resolve, reject) => {
    const result: RelayResult = { aToB: 0, bToA: 0 };
    let ended = 0;
    let failure: Error | undefined;
    let closing = false;
    let closed = 0;
    for (const s of [a, b]) {
      // Each side's end is carried over alone: a stream's own end must not end the writable
      // side the other direction still writes to, nor destroy it.
      s.allowHalfOpen = true;
      const state = s as unknown as { _readableState?: { autoDestroy: boolean }; _writableState?: { autoDestroy: boolean } };
      if (state._readableState) state._readableState.autoDestroy = false;
      if (state._writableState) state._writableState.autoDestroy = false;
    }
    const settle = (): void => {
      if (++closed < 2) return;
      if (failure !== undefined) reject(failure);
      else resolve(result);
    };
    const close = (err?: Error): void => {
      if (err !== undefined && failure === undefined) failure = err;
      if (closing) return;
      closing = true;
      ab?.stop();
      ba?.stop();
      for (const s of [a, b]) {
        s.removeListener('error', onError);
        s.removeListener('close', onClose);
        s.on('error', noop); // an error after this one changes nothing
        if (s.closed) settle();
        else s.once('close', settle);
        s.destroy();
      }
    };
    const onError = (err: Error): void => close(err);
    const onClose = (): void => close(ERR_STREAM_PREMATURE_CLOSE());
    // Both directions ended: once both have written all (their 'finish'), close them.
    const directionDone = (status: number): void => {
      if (status !== 0) {
        // An error of the addon's: the stream's own 'error' follows and carries it; STOPPED
        // comes only from close() itself.
        return;
      }
      if (++ended < 2) return;
      let finished = 0;
      const onFinish = (): void => {
        if (++finished === 2) close();
      };
      for (const s of [a, b]) {
        if (s.writableFinished) onFinish();
        else s.once('finish', onFinish);
      }
    };
    a.on('error', onError);
    b.on('error', onError);
    a.once('close', onClose);
    b.once('close', onClose);
    ab = forward(a, b, cap, true, (status, n) => {
      result.aToB = n;
      directionDone(status);
    });
    ba = forward(b, a, cap, true, (status, n) => {
      result.bToA = n;
      directionDone(status);
    });
  });
  return {
    done,
    bytes: () => ({ aToB: ab?.bytes() ?? 0, bToA: ba?.bytes() ?? 0 }),
  };
}

function noop(): void {}
