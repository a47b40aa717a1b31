// The relay on the native backends: connections are native handle ids, never Socket objects.
//
// A relayed connection through Sockets costs two of them, their streams, and relay()'s
// promises: about 11 KB of memory and most of the CPU of a short connection. Here the
// listener's accepts come straight to a Pair (one small object, and one more per outbound
// attempt), which connects, links both directions inside the addon (native/core/relay.h), and
// hears from the addon only when a direction ends and when the handles close. JS is called a
// handful of times per connection and never per message.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import { ensureStarted, EventKind, native, registerHandle, type HandleOwner } from '../binding';
import { config as libConfig } from '../config';
import { errnoName, uvExceptionWithHostPort } from '../errors';
import type { RelayConfig } from './args';
import type { Balancer, LiveFigures, Target, Worker } from './balance';
import { proxyHeader } from './proxy-header';

// What a Pair has seen, as bits.
const UP_DONE = 1; // client to target: the client's FIN forwarded, all it sent before it
const DOWN_DONE = 2; // target to client, the same
const CLOSING = 4; // both handles are being closed; the connection is counted as finished
const CONNECTED = 8; // the outbound connect succeeded
const BOTH_DONE = UP_DONE | DOWN_DONE;

// A handle whose events no longer matter (a failed attempt, a connection refused while
// draining): its kClose comes here.
const ignored: HandleOwner = { _onEvent() {} };

/** An outbound attempt of a Pair; the handle's events go to the Pair. */
class Attempt implements HandleOwner {
  constructor(
    readonly pair: Pair,
    readonly id: number,
    readonly target: Target,
    readonly source: string | undefined,
  ) {}

  _onEvent(kind: EventKind, result: number, _slab?: Buffer, bytes?: number): void {
    this.pair.upEvent(kind, result, bytes as number);
  }
}

/** One relayed connection: the accepted client and its outbound attempt. */
class Pair implements HandleOwner {
  up: Attempt | undefined;
  tried: Set<Target> | undefined; // targets tried, while connecting
  timer: NodeJS.Timeout | undefined; // the connect timeout
  bits = 0;
  bytesUp = 0; // of directions that ended
  bytesDown = 0;
  moved = 0; // bytes both ways at the idle sweep's last look
  quietSince: number;

  constructor(
    readonly w: NativeWorker,
    readonly id: number,
  ) {
    this.quietSince = Date.now();
  }

  /** The client's events. */
  _onEvent(kind: EventKind, result: number, _slab?: Buffer, bytes?: number): void {
    if (kind === EventKind.RelayEnd) this.w.ended(this, true, result, bytes as number);
    else if (kind === EventKind.Close && this.bits & CLOSING) this.w.handleClosed();
    // Eof and read errors reach the link first, which ends with RelayEnd; the client reads
    // only while linked, so no data comes here.
  }

  /** The outbound handle's events. */
  upEvent(kind: EventKind, result: number, bytes: number): void {
    switch (kind) {
      case EventKind.Connect:
        this.w.connected(this, result);
        break;
      case EventKind.Write: // the PROXY header went out
        this.w.headerSent(this, result);
        break;
      case EventKind.RelayEnd:
        this.w.ended(this, false, result, bytes);
        break;
      case EventKind.Close:
        if (this.bits & CLOSING) this.w.handleClosed();
        break;
    }
  }

  /** Bytes moved each way so far. */
  bytes(): [number, number] {
    let up = this.bytesUp;
    let down = this.bytesDown;
    // A direction's link is gone once it ended (its bytes are in bytesUp/bytesDown).
    if (this.bits & CONNECTED && (this.bits & BOTH_DONE) !== BOTH_DONE) {
      const a = native.forwarded(this.id);
      if (a > 0) up += a;
      const b = native.forwarded((this.up as Attempt).id);
      if (b > 0) down += b;
    }
    return [up, down];
  }
}

class NativeWorker {
  readonly live = new Set<Pair>();
  private readonly _waiting: number[] = []; // accepted past --max-connections, not yet relayed
  listener = 0;
  private _paused = false;
  draining = false;
  closingHandles = 0; // handles closed whose kClose has not come yet

  constructor(
    readonly config: RelayConfig,
    readonly b: Balancer,
  ) {}

  // ---- accept ---------------------------------------------------------------------------------

  accepted(id: number): void {
    this.b.accepted++;
    if (this.draining) {
      this._closeUnseen(id);
      return;
    }
    const max = this.config.maxConnections;
    if (max > 0 && (this.live.size >= max || this._waiting.length > 0)) {
      // The kernel completed it before the pause reached the listener: it waits, unread,
      // for a slot, as a peer in the backlog does.
      registerHandle(id, ignored);
      this._waiting.push(id);
      this._pause(true);
      return;
    }
    this._admit(id);
  }

  private _admit(id: number): void {
    const pair = new Pair(this, id);
    registerHandle(id, pair);
    this.live.add(pair);
    native.setNoDelay(id, true); // a relay forwards what arrives as it arrives (no Nagle)
    const max = this.config.maxConnections;
    if (max > 0 && this.live.size >= max) this._pause(true);
    this._connect(pair);
  }

  private _pause(on: boolean): void {
    if (this._paused === on || this.listener === 0) return;
    this._paused = on;
    native.acceptPause(this.listener, on);
  }

  private _closeUnseen(id: number): void {
    registerHandle(id, ignored);
    native.close(id, false);
  }

  /** A slot freed: connections waiting for one first, then the listener. */
  private _slotFreed(): void {
    const max = this.config.maxConnections;
    if (max === 0) return;
    while (this.live.size < max && this._waiting.length > 0) {
      const id = this._waiting.shift() as number;
      if (this.draining) this._closeUnseen(id);
      else this._admit(id);
    }
    if (this.live.size < max && this._waiting.length === 0 && !this.draining) this._pause(false);
  }

  // ---- connect --------------------------------------------------------------------------------

  private _connect(pair: Pair): void {
    const tried = (pair.tried ??= new Set());
    for (;;) {
      const t = this.b.pick(tried);
      if (t === undefined) {
        this.b.log('no-target', { client: this._peer(pair.id), tried: tried.size });
        this.close(pair, 'error');
        return;
      }
      tried.add(t);
      const source = this.b.source();
      const id = native.connect(t.family, t.address, t.port, source ?? '', 0);
      if (id < 0) {
        // Refused at once (a source address of the wrong family, no ports left, ...).
        this.b.failed(t, errnoName(id), source);
        if (this.draining || tried.size >= this.b.targets.length) {
          this.b.log('no-target', { client: this._peer(pair.id), tried: tried.size });
          this.close(pair, 'error');
          return;
        }
        continue;
      }
      const attempt = new Attempt(pair, id, t, source);
      registerHandle(id, attempt);
      pair.up = attempt;
      pair.timer = setTimeout(timedOut, this.config.connectTimeout, this, pair, attempt);
      return;
    }
  }

  /** An attempt failed (`code`): the next target, or the client closed when none is left. */
  attemptFailed(pair: Pair, attempt: Attempt, code: string): void {
    clearTimeout(pair.timer);
    pair.timer = undefined;
    pair.up = undefined;
    this._closeUnseen(attempt.id);
    this.b.failed(attempt.target, code, attempt.source);
    if (!this.draining && (pair.tried as Set<Target>).size < this.b.targets.length) {
      this._connect(pair);
    } else {
      this.b.log('no-target', { client: this._peer(pair.id), tried: (pair.tried as Set<Target>).size });
      this.close(pair, 'error');
    }
  }

  connected(pair: Pair, result: number): void {
    const attempt = pair.up as Attempt;
    if (pair.bits & CLOSING) return;
    if (result < 0) {
      this.attemptFailed(pair, attempt, errnoName(result));
      return;
    }
    clearTimeout(pair.timer);
    pair.timer = undefined;
    pair.tried = undefined;
    pair.bits |= CONNECTED;
    this.b.up(attempt.target);
    native.setNoDelay(attempt.id, true);
    // Target to client at once; client to target after the PROXY header, if any, is sent
    // (a link waits for the destination's own write).
    if (!this._link(pair, attempt.id, pair.id)) return;
    const proto = this.config.proxyProtocol;
    if (proto !== undefined) {
      const peer = native.address(pair.id, true);
      const local = native.address(pair.id, false);
      const header = proxyHeader(proto, {
        srcAddress: typeof peer === 'number' ? '' : peer[1],
        srcPort: typeof peer === 'number' ? 0 : peer[2],
        dstAddress: typeof local === 'number' ? '' : local[1],
        dstPort: typeof local === 'number' ? 0 : local[2],
      });
      const r = native.write(attempt.id, header);
      if (r === 0) return; // headerSent() follows
      if (r < 0) {
        this._failed(pair, r);
        return;
      }
    }
    this._link(pair, pair.id, attempt.id);
  }

  headerSent(pair: Pair, result: number): void {
    if (pair.bits & CLOSING) return;
    if (result < 0) this._failed(pair, result);
    else this._link(pair, pair.id, (pair.up as Attempt).id);
  }

  /** Links src to dst and starts src reading; false (and the pair closed) if it failed. */
  private _link(pair: Pair, src: number, dst: number): boolean {
    let r = native.link(src, dst, this.config.highWaterMark, false);
    if (r >= 0) r = native.readStart(src);
    if (r < 0) {
      this._failed(pair, r);
      return false;
    }
    return true;
  }

  // ---- the end --------------------------------------------------------------------------------

  /** A direction ended: `fromClient` says which; status 0 is its FIN, forwarded. */
  ended(pair: Pair, fromClient: boolean, status: number, bytes: number): void {
    if (pair.bits & CLOSING) return;
    if (fromClient) pair.bytesUp += bytes;
    else pair.bytesDown += bytes;
    if (status < 0) {
      this._failed(pair, status);
      return;
    }
    pair.bits |= fromClient ? UP_DONE : DOWN_DONE;
    if ((pair.bits & BOTH_DONE) !== BOTH_DONE) {
      // Half-close carried on: the other side gets its FIN after everything before it
      // (a link ends once what it forwarded is sent).
      native.shutdown(fromClient ? (pair.up as Attempt).id : pair.id);
      return;
    }
    // Both ways done: closing both sends the last FIN, as a shutdown would (every byte is
    // sent and both sides' FINs were read, so nothing unread turns the close into a reset),
    // one system call fewer a connection.
    this.close(pair, 'ok');
  }

  private _failed(pair: Pair, errno: number): void {
    this.b.log('relay-error', { target: pair.up?.target.name, code: errnoName(errno) });
    this.close(pair, 'error');
  }

  /** Closes both handles and counts the connection as finished, `how`. */
  close(pair: Pair, how: string): void {
    if (pair.bits & CLOSING) return;
    const [up, down] = pair.bytes(); // before the links go with the handles
    pair.bits |= CLOSING;
    clearTimeout(pair.timer);
    pair.timer = undefined;
    native.close(pair.id, false);
    this.closingHandles++;
    if (pair.up !== undefined) {
      native.close(pair.up.id, false);
      this.closingHandles++;
    }
    this.live.delete(pair);
    this.b.finished(how, up, down);
    this._slotFreed();
  }

  handleClosed(): void {
    this.closingHandles--;
  }

  private _peer(id: number): string {
    const a = native.address(id, true);
    return typeof a === 'number' ? errnoName(a) : `${a[1]}:${a[2]}`;
  }

  // ---- the idle sweep and the figures ---------------------------------------------------------

  sweep(): void {
    const now = Date.now();
    for (const pair of this.live) {
      if (!(pair.bits & CONNECTED)) continue;
      const [up, down] = pair.bytes();
      if (up + down !== pair.moved) {
        pair.moved = up + down;
        pair.quietSince = now;
      } else if (now - pair.quietSince >= this.config.idleTimeout) {
        this.close(pair, 'idle');
      }
    }
  }

  figures(): LiveFigures {
    let up = this.b.doneUp;
    let down = this.b.doneDown;
    for (const pair of this.live) {
      const [u, d] = pair.bytes();
      up += u;
      down += d;
    }
    return { connections: this.live.size, bytesUp: up, bytesDown: down };
  }

  drainWaiting(): void {
    for (const id of this._waiting.splice(0)) this._closeUnseen(id);
  }
}

function timedOut(w: NativeWorker, pair: Pair, attempt: Attempt): void {
  if (pair.up !== attempt || pair.bits & CLOSING) return;
  pair.timer = undefined;
  w.attemptFailed(pair, attempt, 'ETIMEDOUT');
}

/** The listener: its accepts go to the worker. */
class Listener implements HandleOwner {
  constructor(private readonly w: NativeWorker) {}
  _onEvent(kind: EventKind, result: number): void {
    // Failed accepts are retried natively (stats().acceptErrors counts them).
    if (kind === EventKind.Accept && result > 0) this.w.accepted(result);
  }
}

export async function startNativeWorker(config: RelayConfig, b: Balancer, reusePort: boolean): Promise<Worker> {
  await b.resolve();
  let host = config.listen.host;
  if (isIP(host) === 0) host = (await lookup(host)).address;
  ensureStarted();
  const w = new NativeWorker(config, b);
  const family = isIP(host) === 6 ? 6 : 4;
  const id = native.listen(family, host, config.listen.port, 4096, false, reusePort, libConfig.acceptsPosted);
  if (id < 0) throw uvExceptionWithHostPort(id, 'listen', host, config.listen.port);
  w.listener = id;
  registerHandle(id, new Listener(w));
  const address = native.address(id, false);
  const port = typeof address === 'number' ? config.listen.port : address[2];

  // Idle connections: no byte either way for idleTimeout. One sweep for all of them.
  let sweeper: NodeJS.Timeout | undefined;
  if (config.idleTimeout > 0) {
    sweeper = setInterval(() => w.sweep(), Math.max(10, Math.min(1000, config.idleTimeout / 4)));
    sweeper.unref();
  }

  return {
    port,
    figures: () => w.figures(),
    async drain(timeout) {
      w.draining = true;
      registerHandle(w.listener, ignored);
      native.close(w.listener, false);
      w.drainWaiting();
      if (sweeper) clearInterval(sweeper);
      const deadline = Date.now() + timeout;
      while (w.live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const pair of [...w.live]) w.close(pair, 'drain');
      // The handles' closes, so that the peers see an orderly close before the process ends.
      const closing = Date.now() + 1000;
      while (w.closingHandles > 0 && Date.now() < closing) await new Promise((r) => setTimeout(r, 5));
    },
  };
}
