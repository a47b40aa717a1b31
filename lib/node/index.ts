// The node backend (lib/binding.ts chooses it where the addon cannot load, or where
// OVERLAPPED_BACKEND=node): node:net's Socket and Server with overlapped's options and write
// budgets. lib/index.ts exports these under the native classes' types.
import type { NativeStats } from '../binding';
import { Server, serverCounters } from './server';
import { Socket, socketCounters } from './socket';

export { Server, Socket };

/**
 * stats()'s backend counters. node:net has no receive pool, no sends the library tracks in
 * flight and no accept back-off, so those stay 0; sockets and listeners are counted here.
 */
export function counters(): NativeStats & { acceptPausesAtMaxConnections: number } {
  return {
    poolBytes: 0,
    poolBuffers: 0,
    buffersInUse: 0,
    buffersInUsePeak: 0,
    socketsWaitingForBuffers: 0,
    bufferWaits: 0,
    socketsOpen: socketCounters.socketsOpen,
    listenersOpen: serverCounters.listenersOpen,
    acceptErrors: 0,
    acceptsPaused: 0,
    bytesInFlight: 0,
    bytesInFlightPeak: 0,
    completionsInline: 0,
    completionsDropped: 0,
    // node:net reads up to 64 KiB at a time (libuv's read size for TCP streams).
    maxReadBytes: 65536,
    // No native forwarding here: relay() and pipe() move bytes through JS.
    relayLinks: 0,
    relayBytesQueued: 0,
    relayBytesQueuedPeak: 0,
    relayBytesForwarded: 0,
    relayReads: 0,
    relaySends: 0,
    acceptPausesAtMaxConnections: 0,
  };
}
