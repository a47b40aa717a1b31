// Loads the native addon, starts this environment's backend, and routes the batches of
// completions it delivers to the Socket and Server objects that own each handle id.
//
// Backend choice: OVERLAPPED_BACKEND names one ('io_uring', 'iocp'); otherwise the platform's
// default is used. The answer is fixed for the life of the environment and reported as
// `backend` by the package.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { markAsUntransferable } from 'node:worker_threads';

/** The raw native interface (native/addon.cc). Failures are negative errno-style numbers. */
export interface NativeBinding {
  probe(backend: string): number;
  init(
    onBatch: (events: Int32Array, count: number, slabs: ArrayBuffer[]) => void,
    backend: string,
    recvBufferSize: number,
    recvBufferCount: number,
    recvMultishot: boolean,
  ): string | number;
  listen(
    family: 4 | 6,
    address: string,
    port: number,
    backlog: number,
    ipv6Only: boolean,
    reusePort: boolean,
    acceptsPosted: number,
  ): number;
  connect(family: 4 | 6, address: string, port: number, localAddress: string, localPort: number): number;
  acceptPause(id: number, pause: boolean): number;
  readStart(id: number): number;
  readStop(id: number): number;
  /** 1: done at once; 0: a Write event follows; negative: an error. */
  write(id: number, chunks: Uint8Array | Uint8Array[]): number;
  shutdown(id: number): number;
  close(id: number, reset: boolean): number;
  setNoDelay(id: number, on: boolean): number;
  setKeepAlive(id: number, on: boolean, delaySecs: number): number;
  setRef(id: number, ref: boolean): number;
  /** Whether reads may take more than one pool buffer (off under write-budget pressure). */
  largeReads(on: boolean): void;
  address(id: number, peer: boolean): [4 | 6, string, number] | number;
  stats(): NativeStats;
}

export interface NativeStats {
  poolBytes: number;
  poolBuffers: number;
  buffersInUse: number;
  buffersInUsePeak: number;
  socketsWaitingForBuffers: number;
  bufferWaits: number;
  socketsOpen: number;
  listenersOpen: number;
  acceptErrors: number;
  acceptsPaused: number;
  bytesInFlight: number;
  bytesInFlightPeak: number;
  completionsInline: number;
  completionsDropped: number;
  maxReadBytes: number;
}

/** Event kinds; the numbers are native/core/backend.h's EventKind. */
export const enum EventKind {
  Accept = 1,
  Connect = 2,
  Data = 3,
  Eof = 4,
  ReadError = 5,
  Write = 6,
  Close = 7,
}

/** What owns a native handle id and receives its events. */
export interface HandleOwner {
  /** Data: `slab` views the slab holding the bytes, `offset` is where they start. */
  _onEvent(kind: EventKind, result: number, slab?: Buffer, offset?: number): void;
}

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..', '..');
    dir = parent;
  }
}

function load(): NativeBinding {
  const root = findPackageRoot(__dirname);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  try {
    return nodeGypBuild(root) as NativeBinding;
  } catch (e) {
    const tried = [
      path.join(root, 'build', 'Release', 'overlapped.node'),
      path.join(root, 'build', 'Debug', 'overlapped.node'),
      path.join(root, 'prebuilds', `${process.platform}-${process.arch}`),
    ];
    const err = new Error(
      `overlapped: could not load the native addon for ${process.platform}-${process.arch} ` +
        `(node ${process.version}). Looked in:\n  ${tried.join('\n  ')}\n` +
        `Build it with \`npm rebuild overlapped\` (needs python3, make and a C++ compiler). ` +
        `Cause: ${(e as Error).message}`,
    );
    (err as Error & { code: string }).code = 'ERR_OVERLAPPED_ADDON_LOAD';
    (err as Error & { cause: unknown }).cause = e;
    throw err;
  }
}

export const native: NativeBinding = load();

const handles = new Map<number, HandleOwner>();

export function registerHandle(id: number, owner: HandleOwner): void {
  handles.set(id, owner);
}

function rethrow(err: unknown): never {
  throw err;
}

// One call per batch of completions. A throw from a user's listener must not cut the batch
// short (the rest would be lost), so it is re-thrown on its own, as an uncaught exception,
// once the batch is through.
//
// Received bytes come in slabs (native/addon.cc): a data event's kind holds its slab's index
// above the low 8 bits, and aux its offset there. The owner gets a view of the whole slab and
// the offset, and makes its chunk (a view) or copies the bytes out (onread). A slab may be
// seen in several batches, so each new one is viewed and marked untransferable once, as node
// marks its Buffer pool: transferring it to a worker would take memory still being filled.
let lastSlab: ArrayBuffer | undefined;
let lastView: Buffer | undefined;
const views: Buffer[] = [];
function onBatch(events: Int32Array, count: number, slabs: ArrayBuffer[]): void {
  views.length = slabs.length;
  for (let i = 0; i < slabs.length; i++) {
    if (slabs[i] !== lastSlab) {
      markAsUntransferable(slabs[i]);
      lastSlab = slabs[i];
      lastView = Buffer.from(slabs[i]);
    }
    views[i] = lastView as Buffer;
  }
  const end = count * 4;
  for (let i = 0; i < end; i += 4) {
    const kind = events[i] & 0xff;
    const id = events[i + 1];
    const owner = handles.get(id);
    if (owner === undefined) continue;
    if (kind === EventKind.Close) handles.delete(id);
    try {
      if (kind === EventKind.Data) owner._onEvent(kind, events[i + 2], views[events[i] >> 8], events[i + 3]);
      else owner._onEvent(kind, events[i + 2]);
    } catch (err) {
      process.nextTick(rethrow, err);
    }
  }
  views.length = 0; // the slabs are not kept alive from here
}

function defaultBackend(): string {
  return process.platform === 'win32' ? 'iocp' : 'io_uring';
}

function backendError(requested: string, errno: number): Error {
  const { errnoName } = require('./errors') as typeof import('./errors');
  const err = new Error(
    `overlapped: the ${requested} backend could not start here (${errnoName(errno)}). ` +
      (requested === 'io_uring'
        ? 'io_uring needs Linux 6.0 or newer and may be disabled by seccomp or ' +
          'the kernel.io_uring_disabled sysctl.'
        : ''),
  );
  Object.assign(err, { code: 'ERR_OVERLAPPED_BACKEND', errno });
  return err;
}

function choose(): string {
  const requested = process.env.OVERLAPPED_BACKEND || defaultBackend();
  const r = native.probe(requested);
  if (r !== 0) throw backendError(requested, r);
  return requested;
}

/**
 * The backend this environment uses: 'io_uring' (Linux) or 'iocp' (Windows). Known at
 * import (a cheap probe); the backend itself starts on first use, so configure() can still
 * shape the receive pool until then.
 */
export const backendName: string = choose();

let started = false;

/** Whether this environment's backend has started. */
export function isStarted(): boolean {
  return started;
}

/** Starts this environment's backend if it has not started yet. */
export function ensureStarted(): void {
  if (started) return;
  const { config, freezePool } = require('./config') as typeof import('./config');
  const r = native.init(onBatch, backendName, config.recvBufferSize, config.recvBufferCount, config.recvMode === 'multishot');
  if (typeof r !== 'string') throw backendError(backendName, r);
  started = true;
  freezePool();
}
