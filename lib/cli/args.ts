// The relay command's arguments: parsed and checked before anything starts, so that a bad one
// is a clear message and exit status 2, never a half-started relay.
import * as os from 'node:os';
import { isIP } from 'node:net';

export class UsageError extends Error {}

export interface Endpoint {
  host: string;
  port: number;
}

export interface RelayConfig {
  listen: Endpoint;
  targets: Endpoint[];
  maxConnections: number; // 0: no limit
  connectTimeout: number; // ms
  idleTimeout: number; // ms, 0: none
  drainTimeout: number; // ms
  pool: number | undefined; // bytes of receive pool
  writeBudget: number | undefined;
  highWaterMark: number; // bytes queued per direction before its source stops
  proxyProtocol: 'v1' | 'v2' | undefined;
  stats: number; // seconds between stats lines, 0: none
  metrics: Endpoint | undefined;
  json: boolean;
  sources: string[];
  workers: number;
}

export const USAGE = `Usage: overlapped relay --listen [host:]port --target host:port [--target host:port ...] [options]

Relays every TCP connection made to --listen to one of the targets (round-robin; a target
that refuses or times out is skipped until it recovers). The bytes never enter JavaScript.

Options:
  --listen [host:]port        where to accept (host default 0.0.0.0)
  --target host:port          where to relay; repeat for several
  --max-connections N         stop accepting at N open relayed connections (per worker)
  --connect-timeout MS        give up on a target after MS (default 10000)
  --idle-timeout MS           close a connection that moved no byte for MS (default: never)
  --drain-timeout MS          on SIGINT/SIGTERM, wait up to MS for connections (default 10000)
  --pool SIZE                 receive pool size, e.g. 16M (default 4M)
  --write-budget SIZE         bytes all userland write queues may hold (default 64M)
  --high-water-mark SIZE      bytes queued per direction before its source stops (default 64K)
  --proxy-protocol v1|v2      send a PROXY protocol header so the target sees the client
  --stats[=SECONDS]           a line of figures to stderr every SECONDS (default 1)
  --metrics host:port         Prometheus text at http://host:port/metrics
  --json                      log as JSON lines
  --source addr[,addr...]     local addresses for outbound connections, in turn
  --workers N                 processes sharing the listener (default: the number of cores)
  -h, --help                  this text
  -v, --version               the package's version (overlapped --version)
`;

function endpoint(text: string, flag: string, hostOptional: boolean): Endpoint {
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if (/^\d+$/.test(text) && hostOptional) {
    host = '0.0.0.0';
    portText = text;
  } else {
    const at = text.lastIndexOf(':');
    if (at <= 0) throw new UsageError(`${flag} takes ${hostOptional ? '[host:]port' : 'host:port'}, got '${text}'`);
    host = text.slice(0, at);
    portText = text.slice(at + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535 || (port === 0 && !hostOptional))
    throw new UsageError(`${flag}: bad port '${portText}'`);
  return { host, port };
}

function integer(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} takes an integer >= ${min}, got '${text}'`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
function size(text: string, flag: string): number {
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(text);
  if (!m) throw new UsageError(`${flag} takes a size such as 65536, 64K or 16M, got '${text}'`);
  const n = Number(m[1]) * UNITS[m[2].toLowerCase()];
  if (n < 1) throw new UsageError(`${flag} must be at least 1 byte`);
  return n;
}

/** Parses `overlapped relay`'s arguments (after the word relay). Throws UsageError. */
export function parseRelayArgs(argv: string[]): RelayConfig {
  const c: RelayConfig = {
    listen: undefined as unknown as Endpoint,
    targets: [],
    maxConnections: 0,
    connectTimeout: 10_000,
    idleTimeout: 0,
    drainTimeout: 10_000,
    pool: undefined,
    writeBudget: undefined,
    highWaterMark: 64 * 1024,
    proxyProtocol: undefined,
    stats: 0,
    metrics: undefined,
    json: false,
    sources: [],
    workers: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--listen':
        c.listen = endpoint(value(), flag, true);
        break;
      case '--target':
        c.targets.push(endpoint(value(), flag, false));
        break;
      case '--max-connections':
        c.maxConnections = integer(value(), flag, 1);
        break;
      case '--connect-timeout':
        c.connectTimeout = integer(value(), flag, 1);
        break;
      case '--idle-timeout':
        c.idleTimeout = integer(value(), flag, 1);
        break;
      case '--drain-timeout':
        c.drainTimeout = integer(value(), flag, 0);
        break;
      case '--pool':
        c.pool = size(value(), flag);
        break;
      case '--write-budget':
        c.writeBudget = size(value(), flag);
        break;
      case '--high-water-mark':
        c.highWaterMark = size(value(), flag);
        break;
      case '--proxy-protocol': {
        const v = value();
        if (v !== 'v1' && v !== 'v2') throw new UsageError(`--proxy-protocol takes v1 or v2, got '${v}'`);
        c.proxyProtocol = v;
        break;
      }
      case '--stats':
        c.stats = inline === undefined ? 1 : integer(inline, flag, 1);
        break;
      case '--metrics':
        c.metrics = endpoint(value(), flag, false);
        break;
      case '--json':
        if (inline !== undefined) throw new UsageError('--json takes no value');
        c.json = true;
        break;
      case '--source':
        for (const a of value().split(',')) {
          if (isIP(a) === 0) throw new UsageError(`--source takes IP addresses, got '${a}'`);
          c.sources.push(a);
        }
        break;
      case '--workers':
        c.workers = integer(value(), flag, 1);
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (c.listen === undefined) throw new UsageError('--listen is required');
  if (c.targets.length === 0) throw new UsageError('at least one --target is required');
  return c;
}
