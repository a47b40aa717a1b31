// The write budget: bytes queued in userland for sending, per socket and across all sockets
// of this environment. A socket reports its queue length whenever it changes (write(), end(),
// a completed native write, destroy); this module keeps the total and applies the global
// policy:
//
//   When the total passes config.writeBudget, every socket that holds queued bytes and is
//   still being read stops being read. A paused socket resumes as soon as its own queue is
//   empty, and all resume when the total falls under 3/4 of the budget. Sockets whose peers
//   take the replies as fast as they are made have empty queues, so they keep being served:
//   the load shed is the backlog of the peers that do not read.
//
//   (A first version paused only the largest queues, until the rest held a quarter of the
//   budget; against 50 non-reading peers the total still doubled the budget, because paused
//   queues never drain and the unpaused ones kept growing. Stopping every backlog is what
//   holds the total.)
//
// Pausing reads is what bounds a server that answers what it reads: it cannot be made to
// queue more replies than it is allowed to. A program that writes on its own (timers,
// broadcasts) regardless of write()'s return value meets the per-socket hard limit instead.
import { isStarted, native } from './binding';
import { config } from './config';
import { ERR_SOCKET_BUFFER_LIMIT } from './errors';

/** What a socket exposes to the budget. */
export interface Budgeted {
  /** Bytes queued as last reported. Owned by this module. */
  _queued: number;
  _pausedForBudget: boolean;
  _setBudgetPause(paused: boolean): void;
}

const withQueue = new Set<Budgeted>();
const paused = new Set<Budgeted>();
let total = 0;
let peak = 0;
let largestPeak = 0;
let shedTotal = 0; // the total at the last shedding pass
let sheds = 0;
let destroyedForLimit = 0;

function lowWater(): number {
  return config.writeBudget * 0.75;
}

// Reads take up to 64 KiB (stats().maxReadBytes) so that bulk data arrives whole, but what
// reaches JS before a pause lands is what the budget can overshoot by. So once the total is
// past half the budget, reads go back to one pool buffer each, until it is under a quarter.
let largeReads = true;
function pressure(): void {
  const want = largeReads ? total <= config.writeBudget / 2 : total < config.writeBudget / 4;
  if (want === largeReads || !isStarted()) return; // (bytes queued before any connect)
  largeReads = want;
  native.largeReads(want);
}

/** A socket's queue is now `queued` bytes. */
export function report(s: Budgeted, queued: number): void {
  const delta = queued - s._queued;
  if (delta === 0) return;
  s._queued = queued;
  total += delta;
  pressure();
  if (queued > 0) withQueue.add(s);
  else withQueue.delete(s);
  if (delta > 0) {
    if (total > peak) peak = total;
    if (queued > largestPeak) largestPeak = queued;
    if (total > config.writeBudget) shed();
  } else if (paused.size > 0) {
    relieve(s);
  }
}

function shed(): void {
  // One pass over the queues per 1/64 of the budget that the total grows by, not per write.
  if (paused.size > 0 && total < shedTotal + config.writeBudget / 64) return;
  shedTotal = total;
  // Every socket still being read that holds queued bytes stops being read. Paused queues
  // need not ever drain (their peers may never read), so the total can only be held by
  // stopping what can still grow: the unpaused sockets with a backlog. A socket whose replies
  // the peer takes at once has an empty queue and goes on being served.
  for (const s of withQueue) {
    if (s._pausedForBudget) continue;
    paused.add(s);
    s._pausedForBudget = true;
    s._setBudgetPause(true);
    sheds++;
  }
}

function unpause(s: Budgeted): void {
  paused.delete(s);
  s._pausedForBudget = false;
  s._setBudgetPause(false);
}

function relieve(s: Budgeted): void {
  if (total < lowWater()) {
    for (const p of [...paused]) unpause(p);
    shedTotal = 0;
  } else if (s._pausedForBudget && s._queued === 0) {
    unpause(s);
  }
}

/** The socket is gone: its queue no longer counts. */
export function forget(s: Budgeted): void {
  paused.delete(s);
  s._pausedForBudget = false;
  report(s, 0);
}

/** What the hard limit needs of a socket: both backends' Sockets are stream Writables. */
export interface Limited {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  destroy(err: Error): unknown;
}

/**
 * The per-socket hard limit, checked by write() and end() before the stream takes `chunk`:
 * true to take it, false when the socket has been destroyed with ERR_SOCKET_BUFFER_LIMIT
 * instead.
 */
export function admit(s: Limited, limit: number, chunk: unknown, encoding: unknown): boolean {
  if (s.destroyed || s.writableEnded) return true; // Writable reports those itself
  let n = 0;
  if (typeof chunk === 'string') {
    const enc = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
    n = Buffer.byteLength(chunk, enc);
  } else if (ArrayBuffer.isView(chunk)) {
    n = chunk.byteLength;
  }
  const queued = s.writableLength + n;
  if (queued <= limit) return true;
  // The limit is for writers that ignore back-pressure: a write made while the stream has
  // not asked for 'drain' is taken whole, however large (socket.end(bigBuffer) works as on
  // node:net; those bytes are already in memory). Writing on past write() === false is what
  // grows memory without bound, and that is what is stopped.
  if (!s.writableNeedDrain) return true;
  destroyedForLimit++;
  const peer = s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : 'a socket';
  s.destroy(ERR_SOCKET_BUFFER_LIMIT(limit, queued, peer));
  return false;
}

export interface BudgetStats {
  /** Bytes queued for sending across all sockets now, and the peak. */
  queuedBytes: number;
  queuedBytesPeak: number;
  /** The largest single socket's queue now, and the largest ever. */
  largestSocketQueuedBytes: number;
  largestSocketQueuedBytesPeak: number;
  /** The global budget and the per-socket hard limit in force. */
  writeBudget: number;
  socketWriteLimit: number;
  /** Sockets whose reads are paused by the global budget now; how many pauses so far. */
  socketsPausedForBudget: number;
  budgetPauses: number;
  /** Sockets destroyed with ERR_SOCKET_BUFFER_LIMIT. */
  socketsDestroyedForLimit: number;
  /** Whether reads may take up to maxReadBytes now (false while the total is past half the budget). */
  largeReads: boolean;
}

export function budgetStats(): BudgetStats {
  let largest = 0;
  for (const s of withQueue) if (s._queued > largest) largest = s._queued;
  return {
    queuedBytes: total,
    queuedBytesPeak: peak,
    largestSocketQueuedBytes: largest,
    largestSocketQueuedBytesPeak: largestPeak,
    writeBudget: config.writeBudget,
    socketWriteLimit: config.socketWriteLimit,
    socketsPausedForBudget: paused.size,
    budgetPauses: sheds,
    socketsDestroyedForLimit: destroyedForLimit,
    largeReads,
  };
}
