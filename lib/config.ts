// The process-wide (per environment) budgets and pool shape, with their defaults, the
// environment variables operators set them with, and configure() for programs. The pool's
// shape is fixed when the backend starts (the first listen, connect or stats()); the write
// budgets may change at any time.
import * as netUtil from 'node:net';

import { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, OverlappedError } from './errors';
import type { ServerOpts } from './server';

export interface OverlappedConfig {
  /**
   * How sockets receive (io_uring). 'metered' (default): one pool buffer per receive, re-armed
   * after JS has seen the bytes, so a socket whose replies back up stops within one buffer and
   * the write budgets hold tightly. 'multishot': one multishot receive per socket, fewer
   * submissions, but the kernel may hand one socket up to 32 buffers before JS can say stop.
   * Env: OVERLAPPED_RECV_MODE. Fixed when the backend starts.
   */
  recvMode: 'metered' | 'multishot';
  /** Bytes per receive-pool buffer. Default 16384. Env: OVERLAPPED_RECV_BUFFER_SIZE. */
  recvBufferSize: number;
  /**
   * Buffers in the receive pool: a power of two, 1 to 32768. Default 256 (4 MiB with the
   * default size). Env: OVERLAPPED_RECV_BUFFER_COUNT.
   */
  recvBufferCount: number;
  /**
   * Bytes that may be queued for sending across all sockets before reads are shed from the
   * sockets holding the most. Default 64 MiB. Env: OVERLAPPED_WRITE_BUDGET.
   */
  writeBudget: number;
  /**
   * Hard per-socket limit on bytes queued for sending; a socket past it is destroyed with
   * ERR_SOCKET_BUFFER_LIMIT. Default 8 MiB. Env: OVERLAPPED_SOCKET_WRITE_LIMIT.
   * Per socket, the `writeLimit` option of createServer()/connect() overrides it.
   */
  socketWriteLimit: number;
  /**
   * Windows (IOCP): accepts each listener keeps posted (AcceptEx), so that many connections
   * can complete while JS is busy. Each holds a socket made in advance. Default 32, as libuv.
   * Read at each listen(). Linux's multishot accept needs no such number; it is ignored there.
   * Env: OVERLAPPED_ACCEPTS_POSTED.
   */
  acceptsPosted: number;
}

const MiB = 1024 * 1024;

type NumericKey = Exclude<keyof OverlappedConfig, 'recvMode'>;

const bounds: Record<NumericKey, [number, number, string]> = {
  recvBufferSize: [512, 4 * MiB, 'OVERLAPPED_RECV_BUFFER_SIZE'],
  recvBufferCount: [1, 32768, 'OVERLAPPED_RECV_BUFFER_COUNT'],
  writeBudget: [64 * 1024, Infinity, 'OVERLAPPED_WRITE_BUDGET'],
  socketWriteLimit: [1024, Infinity, 'OVERLAPPED_SOCKET_WRITE_LIMIT'],
  acceptsPosted: [1, 1024, 'OVERLAPPED_ACCEPTS_POSTED'],
};

function check(name: NumericKey, value: unknown): number {
  if (typeof value !== 'number') throw ERR_INVALID_ARG_TYPE(`options.${name}`, 'of type number', value);
  const [min, max] = bounds[name];
  const integral = Number.isInteger(value) || (value === Infinity && max === Infinity);
  if (!integral || value < min || value > max) {
    throw ERR_OUT_OF_RANGE(`options.${name}`, `an integer >= ${min} and <= ${max}`, value);
  }
  if (name === 'recvBufferCount' && (value & (value - 1)) !== 0) {
    throw ERR_OUT_OF_RANGE('options.recvBufferCount', 'a power of two', value);
  }
  return value;
}

function fromEnv(name: NumericKey, fallback: number): number {
  const env = bounds[name][2];
  const raw = process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const value = raw === 'Infinity' ? Infinity : Number(raw);
  try {
    return check(name, value);
  } catch (e) {
    const err = new RangeError(`${env}=${raw} is not valid: ${(e as Error).message}`);
    Object.defineProperty(err, 'code', { value: 'ERR_OUT_OF_RANGE', enumerable: true });
    throw err;
  }
}

function modeFromEnv(): 'metered' | 'multishot' {
  const raw = process.env.OVERLAPPED_RECV_MODE;
  if (raw === undefined || raw === '' || raw === 'metered') return 'metered';
  if (raw === 'multishot') return 'multishot';
  throw new RangeError(`OVERLAPPED_RECV_MODE must be 'metered' or 'multishot', got '${raw}'`);
}

export const config: OverlappedConfig = {
  recvMode: modeFromEnv(),
  recvBufferSize: fromEnv('recvBufferSize', 16 * 1024),
  recvBufferCount: fromEnv('recvBufferCount', 256),
  writeBudget: fromEnv('writeBudget', 64 * MiB),
  socketWriteLimit: fromEnv('socketWriteLimit', 8 * MiB),
  acceptsPosted: fromEnv('acceptsPosted', 32),
};

let poolFrozen = false;

/** @internal called when the backend starts: the pool's shape is fixed from then on */
export function freezePool(): void {
  poolFrozen = true;
}

/**
 * Sets budgets and the receive pool's shape. The pool settings must come before the first
 * listen()/connect()/stats() (ERR_OVERLAPPED_ALREADY_STARTED after); the write budgets apply
 * at once. Returns the configuration in force.
 */
export function configure(options: Partial<OverlappedConfig> = {}): OverlappedConfig {
  if (options === null || typeof options !== 'object')
    throw ERR_INVALID_ARG_TYPE('options', 'of type object', options);
  const next = { ...config };
  for (const key of Object.keys(options) as Array<keyof OverlappedConfig>) {
    const value = options[key];
    if (value === undefined) continue;
    if (key === 'recvMode') {
      if (value !== 'metered' && value !== 'multishot')
        throw ERR_INVALID_ARG_VALUE('options.recvMode', value, "must be 'metered' or 'multishot'");
      next.recvMode = value;
    } else if (key in bounds) {
      next[key] = check(key, value);
    } else {
      throw ERR_INVALID_ARG_VALUE(`options.${String(key)}`, value, 'is not an option of configure()');
    }
  }
  if (
    poolFrozen &&
    (next.recvBufferSize !== config.recvBufferSize ||
      next.recvBufferCount !== config.recvBufferCount ||
      next.recvMode !== config.recvMode)
  ) {
    throw new OverlappedError(
      'ERR_OVERLAPPED_ALREADY_STARTED',
      'The receive pool is fixed once the backend has started; call configure() with ' +
        'recvBufferSize/recvBufferCount/recvMode before the first listen(), connect() or stats()',
    );
  }
  Object.assign(config, next);
  return { ...config };
}

/** Validates a per-socket writeLimit option. */
export function checkWriteLimit(value: unknown): number {
  return check('socketWriteLimit', value);
}

// Checks, once in createServer() (both backends' Server), the options every accepted socket
// is built from: an option the Socket constructor would refuse must not surface at each
// accept, where the error is uncaught and the peer is left without an answer (issue #11). Where node:net's Server
// constructor checks an option, the same error as node's; highWaterMark past node's check
// (NaN, 1.5, Infinity) node refuses only at each accept (its stream constructor's
// ERR_INVALID_ARG_VALUE), which we raise here instead. Normalises opts in place.
export function validateServerOpts(opts: ServerOpts): void {
  const hwm = opts.highWaterMark;
  if (hwm !== undefined) {
    if (typeof hwm !== 'number') throw ERR_INVALID_ARG_TYPE('options.highWaterMark', 'of type number', hwm);
    // As node:net: a negative value means the default.
    if (hwm < 0) opts.highWaterMark = undefined;
    else if (!Number.isInteger(hwm)) throw ERR_INVALID_ARG_VALUE('options.highWaterMark', hwm);
  }
  // As node:net (Node 23.4+): a falsy list is none.
  if (opts.blockList && !(opts.blockList instanceof netUtil.BlockList))
    throw ERR_INVALID_ARG_TYPE('options.blockList', 'net.BlockList', opts.blockList);
  const delay = opts.keepAliveInitialDelay;
  if (delay !== undefined && typeof delay !== 'number')
    throw ERR_INVALID_ARG_TYPE('options.keepAliveInitialDelay', 'of type number', delay);
  if (opts.writeLimit !== undefined) checkWriteLimit(opts.writeLimit);
  const policy = opts.maxConnectionsPolicy;
  if (policy !== undefined && policy !== 'drop' && policy !== 'pause')
    throw ERR_INVALID_ARG_VALUE('options.maxConnectionsPolicy', policy, "must be 'drop' or 'pause'");
}
