// The write budget: bytes queued in userland for sending, per socket and across all sockets
// of this environment. A socket reports its queue length whenever it changes (write(), end(),
// a completed native write, destroy); this module keeps the total and applies the global
// policy:
//
//   When the total passes config.writeBudget, reads are paused on the sockets that hold the
//   most queued bytes, largest first, until the paused ones hold enough to bring the total
//   under 3/4 of the budget once they drain. Paused sockets resume when the total falls under
//   that low-water mark, or as soon as their own queue is empty. Sockets with small queues
//   (well-behaved peers) keep being read, so they keep being served.
//
// Pausing reads is what bounds a server that answers what it reads: it cannot be made to
// queue more replies than it is allowed to. A program that writes on its own (timers,
// broadcasts) regardless of write()'s return value meets the per-socket hard limit instead.
import { config } from './config';

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

/** A socket's queue is now `queued` bytes. */
export function report(s: Budgeted, queued: number): void {
  const delta = queued - s._queued;
  if (delta === 0) return;
  s._queued = queued;
  total += delta;
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
  // Sorting every queue on every write past the budget would cost O(n log n) per write; shed
  // again only once the total has grown by another 1/16 of the budget.
  if (paused.size > 0 && total < shedTotal + config.writeBudget / 16) return;
  shedTotal = total;
  let excess = total - lowWater();
  for (const s of paused) excess -= s._queued;
  if (excess <= 0) return;
  const candidates = [...withQueue].filter((s) => !s._pausedForBudget);
  candidates.sort((a, b) => b._queued - a._queued);
  for (const s of candidates) {
    if (excess <= 0) break;
    paused.add(s);
    s._pausedForBudget = true;
    s._setBudgetPause(true);
    excess -= s._queued;
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

export function noteLimitDestroy(): void {
  destroyedForLimit++;
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
  };
}
