// What a relaying process keeps whichever way it moves connections (worker-native.ts on the
// native backends, worker-sockets.ts on the node backend): the targets in rotation with their
// back-off, and the tallies that the stats line and /metrics show.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import type { Endpoint, RelayConfig } from './args';

export type Log = (event: string, fields?: Record<string, unknown>) => void;

/** One worker's figures, summed by the primary. */
export interface Figures {
  connections: number;
  accepted: number;
  bytesUp: number; // client to target
  bytesDown: number;
  closed: Record<string, number>; // by how: ok, error, idle, drain
  connectFailures: Record<string, number>; // by reason: refused, timeout, ports, other
  targetsUp: Record<string, number>; // 1 up, 0 skipped
  poolBuffers: number;
  poolBuffersInUse: number;
  relayBytesQueued: number;
  relayReads: number; // reads and sends that moved relayed bytes (0 on the node backend)
  relaySends: number;
  budgetQueued: number;
  writeBudget: number;
}

/** What only the worker knows of its figures: the connections open now. */
export interface LiveFigures {
  connections: number;
  bytesUp: number; // of every connection, finished or open
  bytesDown: number;
}

export interface Worker {
  port: number;
  figures(): LiveFigures;
  /** Stops accepting, waits up to `timeout` ms for the open connections, then closes them. */
  drain(timeout: number): Promise<void>;
}

export interface Target extends Endpoint {
  name: string;
  downUntil: number; // skipped until then
  backoff: number; // ms, doubled per failure
  family: 4 | 6; // of `address`
  address: string; // the host resolved (itself when an IP literal)
}

/** Classifies an outbound connect's failure for the figures and the log. */
function connectReason(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EADDRNOTAVAIL':
    case 'EADDRINUSE':
    case 'ENOBUFS':
      return 'ports';
    default:
      return 'other';
  }
}

/** The targets, their rotation and back-off, and the process's tallies. */
export class Balancer {
  readonly targets: Target[];
  readonly closed: Record<string, number> = {};
  readonly connectFailures: Record<string, number> = {};
  accepted = 0;
  doneUp = 0; // bytes of connections already finished
  doneDown = 0;
  private _next = 0;
  private _source = 0;

  constructor(
    private readonly config: RelayConfig,
    readonly log: Log,
  ) {
    this.targets = config.targets.map((t) => {
      const family = isIP(t.host);
      return { ...t, name: `${t.host}:${t.port}`, downUntil: 0, backoff: 0, family: family === 6 ? 6 : 4, address: t.host };
    });
  }

  /**
   * Resolves the targets named by host name, for connects made with addresses (the native
   * workers). A target that does not resolve stays named and fails its connects until it
   * does: it is resolved again each time it is marked down.
   */
  async resolve(): Promise<void> {
    await Promise.all(this.targets.map((t) => this._resolve(t)));
  }

  private async _resolve(t: Target): Promise<void> {
    if (isIP(t.host) !== 0) return;
    try {
      const r = await lookup(t.host);
      t.address = r.address;
      t.family = r.family === 6 ? 6 : 4;
    } catch (err) {
      this.log('resolve-error', { target: t.name, code: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }

  /**
   * Round-robin over the targets in rotation; when none is, the one back soonest (its try is
   * how a recovery is noticed). Undefined when every target was tried.
   */
  pick(tried: Set<Target>): Target | undefined {
    const now = Date.now();
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(this._next + i) % targets.length];
      if (!tried.has(t) && t.downUntil <= now) {
        this._next = (this._next + i + 1) % targets.length;
        return t;
      }
    }
    let soonest: Target | undefined;
    for (const t of targets) if (!tried.has(t) && (soonest === undefined || t.downUntil < soonest.downUntil)) soonest = t;
    return soonest;
  }

  /** The next local address for an outbound connect (--source, in turn), if any. */
  source(): string | undefined {
    const s = this.config.sources;
    return s.length > 0 ? s[this._source++ % s.length] : undefined;
  }

  /** A connect to t succeeded: t is back in rotation. */
  up(t: Target): void {
    if (t.backoff !== 0) this.log('target-up', { target: t.name });
    t.backoff = 0;
    t.downUntil = 0;
  }

  /**
   * A connect to t failed with `code`: counted, logged, and t skipped for a while, unless the
   * local side ran out of ports (the target is not at fault then).
   */
  failed(t: Target, code: string | undefined, source: string | undefined): void {
    const reason = connectReason(code);
    this.connectFailures[reason] = (this.connectFailures[reason] ?? 0) + 1;
    if (reason === 'ports') {
      this.log('source-ports-exhausted', { target: t.name, source: source ?? 'default', code });
      return;
    }
    t.backoff = Math.min(t.backoff === 0 ? 500 : t.backoff * 2, 30_000);
    t.downUntil = Date.now() + t.backoff;
    this.log('target-down', { target: t.name, reason: code ?? reason, retry_ms: t.backoff });
    void this._resolve(t);
  }

  /** A relayed connection is over: `how` it ended and the bytes it moved. */
  finished(how: string, up: number, down: number): void {
    this.closed[how] = (this.closed[how] ?? 0) + 1;
    this.doneUp += up;
    this.doneDown += down;
  }

  targetsUp(): Record<string, number> {
    const now = Date.now();
    return Object.fromEntries(this.targets.map((t) => [t.name, t.downUntil <= now ? 1 : 0]));
  }
}
