// Errors shaped like node:net's, so code written against node:net can branch on `code`,
// `errno` and `syscall` unchanged. System errors carry libuv-style negative errno values (the
// native side reports those on every platform), named with util.getSystemErrorName().
import * as util from 'node:util';

/** A system error as node:net raises it: `connect ECONNREFUSED 127.0.0.1:80`. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
}

let errorMap: Map<number, [string, string]> | undefined;
function describe(errno: number): [string, string] {
  errorMap ??= util.getSystemErrorMap();
  return errorMap.get(errno) ?? [`Unknown system error ${errno}`, `unknown error ${errno}`];
}

/** The native (libuv) code of an error name on this platform: 'ETIMEDOUT' -> -110 on Linux. */
export function uvErrno(name: string): number {
  errorMap ??= util.getSystemErrorMap();
  for (const [errno, [n]] of errorMap) if (n === name) return errno;
  throw new Error(`no system error named ${name}`);
}

/** The name of a native error code, e.g. -111 -> 'ECONNREFUSED' on Linux. */
export function errnoName(errno: number): string {
  return describe(errno)[0];
}

/** `syscall CODE` (node's errnoException). */
export function errnoException(errno: number, syscall: string, original?: string): SystemError {
  const code = errnoName(errno);
  const message = original ? `${syscall} ${code} ${original}` : `${syscall} ${code}`;
  const err = new Error(message) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  Error.captureStackTrace(err, errnoException);
  return err;
}

/** `connect ECONNREFUSED 127.0.0.1:80` (node's exceptionWithHostPort). */
export function exceptionWithHostPort(
  errno: number,
  syscall: string,
  address: string,
  port?: number,
): SystemError {
  const details = port !== undefined && port > 0 ? `${address}:${port}` : address;
  const err = errnoException(errno, syscall, details);
  err.address = address;
  if (port !== undefined && port > 0) err.port = port;
  Error.captureStackTrace(err, exceptionWithHostPort);
  return err;
}

/** `listen EADDRINUSE: address already in use :::8080` (node's uvExceptionWithHostPort). */
export function uvExceptionWithHostPort(
  errno: number,
  syscall: string,
  address: string,
  port: number,
): SystemError {
  const [code, uvmsg] = describe(errno);
  const err = new Error(`${syscall} ${code}: ${uvmsg} ${address}:${port}`) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  err.address = address;
  err.port = port;
  Error.captureStackTrace(err, uvExceptionWithHostPort);
  return err;
}

/** Connect failures that mean "no ephemeral port left" when the program bound nothing. */
const PORT_EXHAUSTION_CODES = new Set<string | undefined>(
  process.platform === 'win32' ? ['EADDRNOTAVAIL', 'ENOBUFS', 'EADDRINUSE'] : ['EADDRNOTAVAIL'],
);

/**
 * What to add to the message of a connect that failed with `code` when the program bound no
 * local address ('' when nothing): the system found no free local port for this destination,
 * a cause not obvious from the code alone. Windows reports it from the implicit bind
 * ConnectEx needs: WSAENOBUFS (which also means Winsock is out of buffer space) or, under
 * Wine, EADDRINUSE.
 */
export function portExhaustionHint(code: string | undefined): string {
  if (!PORT_EXHAUSTION_CODES.has(code)) return '';
  return code === 'ENOBUFS'
    ? ' (no free local port, or no socket buffer space: Windows reports both as ENOBUFS)'
    : ' (no free local port: the ephemeral port range is exhausted for this destination)';
}

/** An error with a stable `code`, the way node's internal ERR_* errors look. */
export class OverlappedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
  override get name(): string {
    return `Error [${this.code}]`;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${(value as { name?: string }).name ?? ''}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? `an instance of ${ctor}` : util.inspect(value, { depth: -1 });
  }
  let shown = util.inspect(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

function coded<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true });
  const ctorName = err.constructor.name;
  // node shows the code in the name: "TypeError [ERR_INVALID_ARG_TYPE]: ..."
  err.stack = err.stack?.replace(/^\w+/, `${ctorName} [${code}]`);
  return err as E & { code: string };
}

// node's wording: a dotted name ("options.port") is a property, a bare one an argument.
const kind = (name: string): string => (name.includes('.') ? 'property' : 'argument');

export function ERR_INVALID_ARG_TYPE(name: string, expected: string, actual: unknown): TypeError {
  return coded(
    new TypeError(`The "${name}" ${kind(name)} must be ${expected}. Received ${typeName(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function ERR_INVALID_ARG_VALUE(name: string, value: unknown, reason = 'is invalid'): TypeError {
  return coded(
    new TypeError(`The ${kind(name)} '${name}' ${reason}. Received ${util.inspect(value)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** `The "options" or "port" or "path" argument must be specified`, as node words it. */
export function ERR_MISSING_ARGS(...names: Array<string | string[]>): TypeError {
  const shown = names.map((n) => (Array.isArray(n) ? n.map((a) => `"${a}"`).join(' or ') : `"${n}"`));
  const list = shown.length <= 2 ? shown.join(' and ') : `${shown.slice(0, -1).join(', ')}, and ${shown[shown.length - 1]}`;
  return coded(new TypeError(`The ${list} argument${shown.length > 1 ? 's' : ''} must be specified`), 'ERR_MISSING_ARGS');
}

// As node's internal errors write large integers: 9_007_199_254_740_992.
function addNumericalSeparator(val: string): string {
  let res = '';
  let i = val.length;
  const start = val[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${val.slice(i - 3, i)}${res}`;
  return `${val.slice(0, i)}${res}`;
}

export function ERR_OUT_OF_RANGE(name: string, range: string, actual: unknown): RangeError {
  let received: string;
  if (Number.isInteger(actual) && Math.abs(actual as number) > 2 ** 32) {
    received = addNumericalSeparator(String(actual));
  } else if (typeof actual === 'bigint') {
    received = String(actual);
    if (actual > 2n ** 32n || actual < -(2n ** 32n)) received = addNumericalSeparator(received);
    received += 'n';
  } else {
    received = util.inspect(actual);
  }
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${received}`),
    'ERR_OUT_OF_RANGE',
  );
}

export function ERR_SOCKET_BAD_PORT(name: string, port: unknown, allowZero: boolean): RangeError {
  const op = allowZero ? '>=' : '>';
  return coded(
    new RangeError(`${name} should be ${op} 0 and < 65536. Received ${typeName(port)}.`),
    'ERR_SOCKET_BAD_PORT',
  );
}

export function ERR_INVALID_IP_ADDRESS(ip: unknown): TypeError {
  return coded(new TypeError(util.format('Invalid IP address: %s', ip)), 'ERR_INVALID_IP_ADDRESS');
}

export function ERR_INVALID_ADDRESS_FAMILY(family: unknown, host: unknown, port: unknown): RangeError {
  const err = coded(
    new RangeError(`Invalid address family: ${String(family)} ${String(host)}:${String(port)}`),
    'ERR_INVALID_ADDRESS_FAMILY',
  );
  return Object.assign(err, { host, port });
}

export function ERR_SOCKET_CLOSED_BEFORE_CONNECTION(): Error {
  return coded(new Error('Socket closed before the connection was established'), 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION');
}

export function ERR_SOCKET_CONNECTION_TIMEOUT(): Error {
  return coded(new Error('Socket connection timeout'), 'ERR_SOCKET_CONNECTION_TIMEOUT');
}

/** node's NodeAggregateError: every attempt's error, and the first one's code. */
export function aggregateError(errors: Error[]): AggregateError & { code?: string } {
  const err = new AggregateError(errors) as AggregateError & { code?: string };
  err.code = (errors[0] as { code?: string } | undefined)?.code;
  return err;
}

export function ERR_SERVER_ALREADY_LISTEN(): Error {
  return coded(
    new Error('Listen method has been called more than once without closing.'),
    'ERR_SERVER_ALREADY_LISTEN',
  );
}

export function ERR_SERVER_NOT_RUNNING(): Error {
  return coded(new Error('Server is not running.'), 'ERR_SERVER_NOT_RUNNING');
}

export function ERR_IP_BLOCKED(ip: string): Error {
  return coded(new Error(`IP(${ip}) is blocked by net.BlockList`), 'ERR_IP_BLOCKED');
}

export function ERR_SOCKET_CLOSED(): Error {
  return coded(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
}

/**
 * A socket whose send queue passed its hard limit (the program kept writing to a peer that
 * does not read). The socket is destroyed with this error; see docs/api.md, "Budgets".
 */
export interface SocketBufferLimitError extends Error {
  code: 'ERR_SOCKET_BUFFER_LIMIT';
  /** The limit in force, bytes. */
  limit: number;
  /** Bytes that would have been queued with the refused write. */
  queued: number;
}

export function ERR_SOCKET_BUFFER_LIMIT(limit: number, queued: number, peer: string): SocketBufferLimitError {
  const err = coded(
    new Error(
      `Socket send queue limit exceeded: ${queued} bytes would be queued for ${peer}, the limit ` +
        `is ${limit}; the peer is not reading as fast as the program writes (check write()'s ` +
        `return value and wait for 'drain')`,
    ),
    'ERR_SOCKET_BUFFER_LIMIT',
  ) as SocketBufferLimitError;
  err.limit = limit;
  err.queued = queued;
  return err;
}

/** Something node:net does that overlapped does not (yet): IPC paths, handles, fds. */
export function ERR_OVERLAPPED_UNSUPPORTED(what: string): Error {
  return coded(
    new Error(`overlapped does not support ${what}; use node:net for it`),
    'ERR_OVERLAPPED_UNSUPPORTED',
  );
}

export function ERR_STREAM_PREMATURE_CLOSE(): Error {
  return coded(new Error('Premature close'), 'ERR_STREAM_PREMATURE_CLOSE');
}
