// Loads the native addon, starts this environment's backend, and routes the batches of
// completions it delivers to the Socket and Server objects that own each handle id.
//
// Backend choice (see "choosing a backend" below): probed once per environment at import,
// OVERLAPPED_BACKEND overrides it, the package reports it as `backend`. When the addon cannot
// load, this module still loads, and the node backend is chosen.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsyncResource } from 'node:async_hooks';
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
  /**
   * Bytes read from `src` go to `dst` inside the addon (native/core/relay.h) until a RelayEnd
   * event or unlink(); src's reads stop while `cap` bytes wait for dst. `reading`: whether JS
   * has src reading now.
   */
  link(src: number, dst: number, cap: number, reading: boolean): number;
  /** The bytes src forwarded, or a negative error. */
  unlink(src: number): number;
  /** The bytes src's link has forwarded so far, or a negative error. */
  forwarded(src: number): number;
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
  relayLinks: number;
  relayBytesQueued: number;
  relayBytesQueuedPeak: number;
  relayBytesForwarded: number;
  relayReads: number;
  relaySends: number;
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
  /** A linked source's link ended: result 0 (its FIN, all forwarded) or an error; bytes forwarded. */
  RelayEnd = 8,
  /** A forwarded write to this socket failed: result is the error. */
  RelayWriteError = 9,
}

/** What owns a native handle id and receives its events. */
export interface HandleOwner {
  /** Data: `slab` views the slab holding the bytes, `offset` is where they start. */
  _onEvent(kind: EventKind, result: number, slab?: Buffer, offset?: number): void;
  /**
   * The async context its events run in, as a node:net handle's own (its TCPWrap is an
   * async resource): AsyncLocalStorage stores and async_hooks see each connection apart.
   * Undefined: the batch's context (handles with no events for the program, e.g. parked).
   */
  _async?: AsyncResource | undefined;
  /** Makes `_async` at the first event, for owners that make it lazily (accepted sockets). */
  _newScope?(): AsyncResource | undefined;
}

/**
 * A context made at import, outside any store a program sets later: accepted sockets' async
 * resources are made in it, as node:net makes an accepted handle outside any callback scope
 * (its events see the top-level store, not the listening server's).
 */
export const importScope = new AsyncResource('overlapped', { requireManualDestroy: true });

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

// The addon, or why it could not be loaded. Failing to load is not fatal: the node backend
// serves then (see choose() below).
//
// Candidates in node-gyp-build's order (a local build, then the prebuild that matches this
// platform, arch and libc), but each is tried in turn: a local build that exists and cannot
// load (a Linux build seen by Windows' node.exe in a shared folder, another architecture's
// build, one made for another libc) falls through to the matching prebuild, where
// node-gyp-build would take the build and fail; that is said in a warning
// (OVERLAPPED_ADDON_FALLBACK). PREBUILDS_ONLY=1 skips local builds, as it does for
// node-gyp-build.
interface NodeGypBuild {
  (dir: string): unknown;
  parseTags(file: string): { file: string } | undefined;
  matchTags(runtime: string, abi: string): (tags: unknown) => boolean;
  compareTags(runtime: string): (a: unknown, b: unknown) => number;
  parseTuple(name: string): { name: string } | undefined;
  matchTuple(platform: string, arch: string): (tuple: unknown) => boolean;
  compareTuples(a: unknown, b: unknown): number;
}

function candidates(root: string, ngb: NodeGypBuild): string[] {
  const list = (dir: string): string[] => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  const runtime = process.versions.electron ? 'electron' : 'node';
  const prebuilds = (dir: string): string[] => {
    const out: string[] = [];
    const tuples = list(path.join(dir, 'prebuilds'))
      .map((n) => ngb.parseTuple(n))
      .filter(ngb.matchTuple(process.platform, process.arch))
      .sort(ngb.compareTuples) as { name: string }[];
    for (const tuple of tuples) {
      const sub = path.join(dir, 'prebuilds', tuple.name);
      const files = list(sub)
        .map((f) => ngb.parseTags(f))
        .filter(ngb.matchTags(runtime, process.versions.modules))
        .sort(ngb.compareTags(runtime)) as { file: string }[];
      for (const f of files) out.push(path.join(sub, f.file));
    }
    return out;
  };
  // As node-gyp-build: OVERLAPPED_PREBUILD names another folder to look in instead of the
  // package's own, and a prebuilds/ folder beside the executable (an app that bundles node)
  // comes last.
  const base = process.env.OVERLAPPED_PREBUILD || root;
  const out: string[] = [];
  if (!process.env.PREBUILDS_ONLY) {
    for (const kind of ['Release', 'Debug']) {
      const dir = path.join(base, 'build', kind);
      for (const f of list(dir)) if (f.endsWith('.node')) out.push(path.join(dir, f));
    }
  }
  out.push(...prebuilds(base), ...prebuilds(path.dirname(process.execPath)));
  return [...new Set(out)];
}

function load(): NativeBinding | Error {
  const root = findPackageRoot(__dirname);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ngb = require('node-gyp-build') as NodeGypBuild;
  const failed: string[] = [];
  let first: unknown;
  for (const file of candidates(root, ngb)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const b = require(file) as NativeBinding;
      // A module that loaded but registered nothing (the Windows build, when the host
      // executable lacks a Node-API function it imports: native/addon.cc) is no addon.
      if (typeof b.probe !== 'function') throw new Error('the module loaded but exports no functions');
      if (failed.length) {
        // Said, not silent: a local build that no longer loads (a source left out of
        // binding.gyp, another architecture's build) would otherwise be replaced without a
        // word by a prebuild that may be older than the sources.
        process.emitWarning(
          `overlapped: loaded ${file}, after ${failed.length === 1 ? 'a build' : 'builds'} that could not load:\n  ` +
            failed.join('\n  '),
          { code: 'OVERLAPPED_ADDON_FALLBACK' },
        );
      }
      return b;
    } catch (e) {
      first ??= e;
      failed.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const looked = [
    path.join(root, 'build', 'Release'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`),
  ];
  const err = new Error(
    `overlapped: could not load the native addon for ${process.platform}-${process.arch} ` +
      `(node ${process.version}). ` +
      (failed.length
        ? `Tried:\n  ${failed.join('\n  ')}\n`
        : `Found none that matches in:\n  ${looked.join('\n  ')}\n`) +
      `Build it with \`npm rebuild overlapped\` (needs python3, make and a C++ compiler; with npm's ` +
      `allowScripts, allow overlapped's install script first: \`npm install-scripts approve overlapped\`).`,
  );
  (err as Error & { code: string }).code = 'ERR_OVERLAPPED_ADDON_LOAD';
  if (first !== undefined) (err as Error & { cause: unknown }).cause = first;
  return err;
}

const loaded = load();

/** Why the addon could not be loaded, or undefined when it was. */
export const addonLoadError: Error | undefined = loaded instanceof Error ? loaded : undefined;

// What socket.ts and server.ts call. They are loaded only when a native backend was chosen,
// which needs the addon; should anything reach it on the node backend all the same, it fails
// with a message that says so rather than "cannot read properties of undefined".
export const native: NativeBinding =
  loaded instanceof Error
    ? (new Proxy({}, {
        get(_target, key) {
          throw new Error(`overlapped: internal error: native.${String(key)} used, but the addon is not loaded (backend 'node')`);
        },
      }) as NativeBinding)
    : loaded;

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
// Each owner's events run in its own async context (HandleOwner._async): the batch is still
// one call from native code, and entering a context is a few JS stores (no native call).
//
// Received bytes come in slabs (native/addon.cc): a data event's kind holds its slab's index
// above the low 8 bits, and aux its offset there. The owner gets a view of the whole slab and
// the offset, and makes its chunk (a view) or copies the bytes out (onread). A slab may be
// seen in several batches, so each new one is viewed and marked untransferable once, as node
// marks its Buffer pool: transferring it to a worker would take memory still being filled.
let lastSlab: ArrayBuffer | undefined;
let lastView: Buffer | undefined;
const views: Buffer[] = [];
let dispatching = false;
/**
 * Whether a batch is being dispatched now. A native link (lib/relay.ts) waits until it is
 * over: events of the batch that are still to come were reported before the link, and are
 * JS's to see.
 */
export function inDispatch(): boolean {
  return dispatching;
}

function onBatch(events: Int32Array, count: number, slabs: ArrayBuffer[]): void {
  dispatching = true;
  try {
    dispatch(events, count, slabs);
  } finally {
    dispatching = false;
  }
}

function dispatch(events: Int32Array, count: number, slabs: ArrayBuffer[]): void {
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
    const scope = owner._async ?? owner._newScope?.();
    try {
      if (kind === EventKind.Data) {
        const slab = views[events[i] >> 8];
        if (scope === undefined) owner._onEvent(kind, events[i + 2], slab, events[i + 3]);
        else scope.runInAsyncScope(owner._onEvent, owner, kind, events[i + 2], slab, events[i + 3]);
      } else if (kind === EventKind.RelayEnd) {
        // The bytes forwarded: the low 32 bits in aux, the rest above the kind's low 8 bits.
        const bytes = (events[i] >>> 8) * 2 ** 32 + (events[i + 3] >>> 0);
        if (scope === undefined) owner._onEvent(kind, events[i + 2], undefined, bytes);
        else scope.runInAsyncScope(owner._onEvent, owner, kind, events[i + 2], undefined, bytes);
      } else if (scope === undefined) {
        owner._onEvent(kind, events[i + 2]);
      } else {
        scope.runInAsyncScope(owner._onEvent, owner, kind, events[i + 2]);
      }
    } catch (err) {
      process.nextTick(rethrow, err);
    }
  }
  views.length = 0; // the slabs are not kept alive from here
}

// ---- choosing a backend ---------------------------------------------------------------------
//
// Once per environment, at first import, by probing what works here rather than by kernel
// version (a kernel may have io_uring and still refuse it: seccomp in containers, the
// kernel.io_uring_disabled sysctl since Linux 6.6): io_uring, else epoll on Linux; IOCP on
// Windows; else the node backend (node:net under the same API, lib/node/). native.probe()
// starts nothing. OVERLAPPED_BACKEND forces one; a name that is unknown or cannot run here is
// an error, not a silent fallback, since an operator who names one means it.

/** The backends, in order of preference. */
export const BACKENDS = ['io_uring', 'epoll', 'iocp', 'node'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What each backend's probe said here: 'ok', an error name ('EPERM'), or why it was not tried. */
export type BackendProbe = Record<BackendName, string>;

const PLATFORM: Record<Exclude<BackendName, 'node'>, NodeJS.Platform> = {
  io_uring: 'linux',
  epoll: 'linux',
  iocp: 'win32',
};

// Hints for the probe results an operator is likely to meet.
const HINTS: Record<string, string> = {
  'io_uring EPERM': 'blocked by seccomp or kernel.io_uring_disabled?',
  'io_uring ENOSYS': 'no io_uring in this kernel, or blocked by seccomp',
  'io_uring EINVAL': 'needs Linux 6.0 or newer',
  'epoll EINVAL': 'not in this build of the addon',
  'iocp EINVAL': 'not in this build of the addon',
};

function probeAll(): BackendProbe {
  const { errnoName } = require('./errors') as typeof import('./errors');
  const result = {} as BackendProbe;
  for (const name of BACKENDS) {
    if (name === 'node') result[name] = 'ok';
    else if (process.platform !== PLATFORM[name]) result[name] = 'not this platform';
    else if (addonLoadError) result[name] = 'addon not loaded';
    else {
      const r = native.probe(name);
      result[name] = r === 0 ? 'ok' : errnoName(r);
    }
  }
  return result;
}

/** Why backends were or were not usable, one line each: "io_uring: EPERM (blocked by ...?)". */
function explain(probe: BackendProbe): string {
  return BACKENDS.map((name) => {
    const said = probe[name];
    const hint = HINTS[`${name} ${said}`];
    return `${name}: ${said}${hint ? ` (${hint})` : ''}`;
  }).join('; ');
}

function backendError(message: string, errno?: number): Error {
  const { OverlappedError } = require('./errors') as typeof import('./errors');
  const err = new OverlappedError('ERR_OVERLAPPED_BACKEND', message);
  if (errno !== undefined) Object.assign(err, { errno });
  return err;
}

/** What each backend's probe said in this environment (stats().backendProbe). */
export const backendProbe: BackendProbe = probeAll();

function choose(): BackendName {
  const forced = process.env.OVERLAPPED_BACKEND;
  if (forced) {
    if (!(BACKENDS as readonly string[]).includes(forced)) {
      throw backendError(
        `overlapped: OVERLAPPED_BACKEND=${forced} is not a backend; valid names: ${BACKENDS.join(', ')}. ` +
          `Here: ${explain(backendProbe)}`,
      );
    }
    const name = forced as BackendName;
    if (backendProbe[name] !== 'ok') {
      throw backendError(
        `overlapped: OVERLAPPED_BACKEND=${name}, but the ${name} backend cannot run here. ` +
          `Here: ${explain(backendProbe)}` +
          (addonLoadError && name !== 'node' && PLATFORM[name] === process.platform ? `. ${addonLoadError.message}` : ''),
      );
    }
    return name;
  }
  // A preference, not an order: taken when that backend can run here, else the usual order.
  const preferred = process.env.OVERLAPPED_PREFER_BACKEND as BackendName | undefined;
  if (preferred && preferred !== 'node' && backendProbe[preferred] === 'ok') return preferred;
  const name = BACKENDS.find((b) => backendProbe[b] === 'ok') as BackendName; // 'node' always is
  if (name === 'node') {
    // One warning per environment, here where the choice is made: the program runs, on
    // node:net, without the bounded receive pool. Not when OVERLAPPED_BACKEND=node asked for it.
    process.emitWarning(
      `overlapped: no native backend can run here (${explain(backendProbe)}); using the node ` +
        `backend (node:net with overlapped's write budgets, no receive pool).` +
        (addonLoadError ? ` ${addonLoadError.message}` : ''),
      { code: 'OVERLAPPED_NODE_BACKEND' },
    );
  }
  return name;
}

/**
 * The backend this environment uses: 'io_uring' or 'epoll' (Linux), 'iocp' (Windows), or
 * 'node'. Known at import (cheap probes); a native backend itself starts on first use, so
 * configure() can still shape the receive pool until then.
 */
export const backendName: BackendName = choose();

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
  if (typeof r !== 'string') {
    const { errnoName } = require('./errors') as typeof import('./errors');
    throw backendError(`overlapped: the ${backendName} backend could not start here (${errnoName(r)})`, r);
  }
  started = true;
  freezePool();
}
