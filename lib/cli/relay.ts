// `overlapped relay`: a TCP relay for many connections, each accepted connection relayed to a
// target inside the addon (native/core/relay.h), so its bytes never enter JS: on a native
// backend as a pair of handle ids with no Socket objects (worker-native.ts), on the node
// backend through relay() (worker-sockets.ts).
//
// One process holds at most its open-file limit of descriptors (two per relayed connection),
// so past one process the relay runs workers (node:cluster) that each listen on the same port
// with SO_REUSEPORT (the kernel spreads the connections) and each have their own ring, pool
// and budgets. Each worker reports its figures to the primary, which logs the stats line and
// serves /metrics for all of them.
import cluster from 'node:cluster';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import * as overlapped from '../index';
import type { Endpoint, RelayConfig } from './args';
import { Balancer, type Figures, type Log } from './balance';
import { startNativeWorker } from './worker-native';
import { startSocketWorker } from './worker-sockets';

export type { Figures, Log };

// ---- logging ----------------------------------------------------------------------------------

export function makeLog(json: boolean): Log {
  return (event, fields = {}) => {
    const time = new Date().toISOString();
    if (json) {
      process.stderr.write(`${JSON.stringify({ time, event, ...fields })}\n`);
    } else {
      const rest = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
        .join(' ');
      process.stderr.write(`${time} ${event}${rest ? ` ${rest}` : ''}\n`);
    }
  };
}

// ---- figures ----------------------------------------------------------------------------------

function sum(all: Figures[]): Figures {
  const out: Figures = {
    connections: 0,
    accepted: 0,
    bytesUp: 0,
    bytesDown: 0,
    closed: {},
    connectFailures: {},
    targetsUp: {},
    poolBuffers: 0,
    poolBuffersInUse: 0,
    relayBytesQueued: 0,
    relayReads: 0,
    relaySends: 0,
    budgetQueued: 0,
    writeBudget: 0,
  };
  const add = (to: Record<string, number>, from: Record<string, number>, max = false): void => {
    for (const [k, v] of Object.entries(from)) to[k] = max ? Math.max(to[k] ?? 0, v) : (to[k] ?? 0) + v;
  };
  for (const f of all) {
    out.connections += f.connections;
    out.accepted += f.accepted;
    out.bytesUp += f.bytesUp;
    out.bytesDown += f.bytesDown;
    add(out.closed, f.closed);
    add(out.connectFailures, f.connectFailures);
    add(out.targetsUp, f.targetsUp, true); // up if any worker reaches it
    out.poolBuffers += f.poolBuffers;
    out.poolBuffersInUse += f.poolBuffersInUse;
    out.relayBytesQueued += f.relayBytesQueued;
    out.relayReads += f.relayReads;
    out.relaySends += f.relaySends;
    out.budgetQueued += f.budgetQueued;
    out.writeBudget += f.writeBudget;
  }
  return out;
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${i === 0 ? bytes.toFixed(0) : bytes.toFixed(1)} ${units[i]}`;
}

/** The compact stats line: rates since the figures before. */
export function statsLine(now: Figures, before: Figures | undefined, seconds: number): string {
  const rate = (a: number, b: number | undefined): number => (a - (b ?? 0)) / seconds;
  return [
    `connections ${now.connections}`,
    `accepted/s ${rate(now.accepted, before?.accepted).toFixed(0)}`,
    `up ${human(rate(now.bytesUp, before?.bytesUp))}/s`,
    `down ${human(rate(now.bytesDown, before?.bytesDown))}/s`,
    `pool ${now.poolBuffersInUse}/${now.poolBuffers}`,
    `relay-queued ${human(now.relayBytesQueued)}`,
    `budget ${human(now.budgetQueued)}/${human(now.writeBudget)}`,
  ].join(' | ');
}

/** Prometheus text exposition of the figures. */
export function metricsText(f: Figures): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  const labelled = (label: string, r: Record<string, number>): Array<[string, number]> =>
    Object.entries(r).map(([k, v]) => [`{${label}="${k}"}`, v]);
  metric('overlapped_relay_connections', 'gauge', 'Relayed connections open now.', [['', f.connections]]);
  metric('overlapped_relay_accepted_total', 'counter', 'Connections accepted.', [['', f.accepted]]);
  metric('overlapped_relay_bytes_total', 'counter', 'Bytes relayed, by direction.', [
    ['{direction="up"}', f.bytesUp],
    ['{direction="down"}', f.bytesDown],
  ]);
  metric('overlapped_relay_closed_total', 'counter', 'Relayed connections closed, by how.', labelled('how', f.closed));
  metric(
    'overlapped_relay_connect_failures_total',
    'counter',
    'Outbound connects that failed, by reason (ports: the source addresses ran out of ports).',
    labelled('reason', f.connectFailures),
  );
  metric('overlapped_relay_target_up', 'gauge', 'Whether a target is in rotation (0: skipped until it recovers).', labelled('target', f.targetsUp));
  metric('overlapped_pool_buffers', 'gauge', 'Receive pool buffers.', [['', f.poolBuffers]]);
  metric('overlapped_pool_buffers_in_use', 'gauge', 'Receive pool buffers holding bytes.', [['', f.poolBuffersInUse]]);
  metric('overlapped_relay_bytes_queued', 'gauge', 'Bytes waiting for slow destinations.', [['', f.relayBytesQueued]]);
  // Bytes over reads is how much each receive carried: the relay's batching, most of its cost.
  metric('overlapped_relay_reads_total', 'counter', 'Reads whose bytes were relayed (0 on the node backend).', [['', f.relayReads]]);
  metric('overlapped_relay_sends_total', 'counter', 'Sends of relayed bytes (0 on the node backend).', [['', f.relaySends]]);
  metric('overlapped_write_budget_bytes_queued', 'gauge', 'Bytes in userland write queues.', [['', f.budgetQueued]]);
  metric('overlapped_write_budget_bytes', 'gauge', 'The write budget.', [['', f.writeBudget]]);
  return `${lines.join('\n')}\n`;
}

// ---- one relaying process ---------------------------------------------------------------------

/**
 * Starts relaying in this process. On a native backend connections never become Sockets
 * (worker-native.ts); on the node backend they are Sockets joined by relay() (worker-sockets.ts).
 */
export async function startWorker(config: RelayConfig, log: Log, reusePort: boolean): Promise<{ port: number; figures(): Figures; drain(timeout: number): Promise<void> }> {
  const b = new Balancer(config, log);
  const worker = overlapped.backend === 'node' ? await startSocketWorker(config, b, reusePort) : await startNativeWorker(config, b, reusePort);
  return {
    port: worker.port,
    figures() {
      const s = overlapped.stats();
      return {
        ...worker.figures(),
        accepted: b.accepted,
        closed: { ...b.closed },
        connectFailures: { ...b.connectFailures },
        targetsUp: b.targetsUp(),
        poolBuffers: s.poolBuffers,
        poolBuffersInUse: s.buffersInUse,
        relayBytesQueued: s.relayBytesQueued,
        relayReads: s.relayReads,
        relaySends: s.relaySends,
        budgetQueued: s.queuedBytes,
        writeBudget: s.writeBudget,
      };
    },
    drain: (timeout) => worker.drain(timeout),
  };
}

// ---- the command ------------------------------------------------------------------------------

// What a worker sends its primary.
type Message = { type: 'listening'; port: number } | { type: 'figures'; figures: Figures };

function applyConfig(config: RelayConfig): void {
  const options: Parameters<typeof overlapped.configure>[0] = {};
  if (config.pool !== undefined) {
    // A power of two of 16 KiB buffers, at least the size asked for.
    let count = 1;
    while (count * 16 * 1024 < config.pool && count < 32768) count *= 2;
    options.recvBufferCount = count;
  }
  if (config.writeBudget !== undefined) options.writeBudget = Math.max(64 * 1024, config.writeBudget);
  overlapped.configure(options);
}

function startMetrics(endpoint: Endpoint, figures: () => Figures, log: Log): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metricsText(figures()));
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(endpoint.port, endpoint.host, () => {
    log('metrics', { address: `http://${endpoint.host}:${(server.address() as AddressInfo).port}/metrics` });
  });
  server.on('error', (err: NodeJS.ErrnoException) => log('metrics-error', { code: err.code ?? err.message }));
  return server;
}

/** Runs the relay until SIGINT/SIGTERM, then drains and exits 0. */
export async function runRelay(config: RelayConfig): Promise<void> {
  const log = makeLog(config.json);
  // Workers share the port through SO_REUSEPORT, which only the Linux backends set.
  let workers = config.workers;
  if (workers > 1 && (process.platform !== 'linux' || overlapped.backend === 'node')) {
    log('workers', { asked: workers, running: 1, why: `SO_REUSEPORT listeners need Linux and a native backend (${overlapped.backend})` });
    workers = 1;
  }
  if (cluster.isWorker) return runWorkerProcess(config, log);
  if (workers === 1) {
    applyConfig(config);
    const worker = await startWorker(config, log, false);
    const listening = { address: `${config.listen.host}:${worker.port}`, targets: config.targets.map((t) => `${t.host}:${t.port}`).join(','), backend: overlapped.backend, workers: 1 };
    await supervise(config, log, listening, () => worker.figures(), (timeout) => worker.drain(timeout));
    return;
  }
  await runPrimary(config, log, workers);
}

// The stats line, the metrics endpoint and the signals, around whatever does the relaying.
// 'listening' is logged once the signal handlers are in place: whoever reads it may send
// SIGTERM at once, and before the handlers that would end the process unsaid (no drain, no
// exit status).
async function supervise(
  config: RelayConfig,
  log: Log,
  listening: Record<string, unknown>,
  figures: () => Figures,
  drain: (timeout: number) => Promise<void>,
): Promise<void> {
  const metrics = config.metrics !== undefined ? startMetrics(config.metrics, figures, log) : undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  if (config.stats > 0) {
    let before: Figures | undefined;
    statsTimer = setInterval(() => {
      const now = figures();
      if (config.json) log('stats', { ...now });
      else process.stderr.write(`${statsLine(now, before, config.stats)}\n`);
      before = now;
    }, config.stats * 1000);
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      log('draining', { signal, timeout_ms: config.drainTimeout });
      void drain(config.drainTimeout).then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    log('listening', listening);
  });
  if (statsTimer) clearInterval(statsTimer);
  metrics?.close();
  log('stopped', { ...pick(figures(), ['accepted', 'bytesUp', 'bytesDown']) });
  process.exit(0);
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

async function runPrimary(config: RelayConfig, log: Log, workers: number): Promise<void> {
  const latest = new Map<number, Figures>();
  const fork = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ OVERLAPPED_RELAY_PORT: String(port) });
      w.on('message', (m: Message) => {
        if (m.type === 'listening') resolve(m.port);
        else if (m.type === 'figures') latest.set(w.id, m.figures);
      });
      w.once('exit', (code) => {
        if (!stopping) {
          latest.delete(w.id);
          log('worker-exit', { worker: w.id, code });
        }
        reject(new Error(`worker exited with ${code}`));
      });
    });
  let stopping = false;
  // The first worker takes the port (the one asked for, or one the system picks for port 0);
  // the others join it.
  const port = await fork(config.listen.port);
  await Promise.all(Array.from({ length: workers - 1 }, () => fork(port)));
  await supervise(
    config,
    log,
    { address: `${config.listen.host}:${port}`, targets: config.targets.map((t) => `${t.host}:${t.port}`).join(','), backend: overlapped.backend, workers },
    () => sum([...latest.values()]),
    async (timeout) => {
      stopping = true;
      const exits = Object.values(cluster.workers ?? {}).map(
        (w) => new Promise<void>((resolve) => (w === undefined || w.isDead() ? resolve() : (w.once('exit', () => resolve()), w.process.kill('SIGTERM')))),
      );
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, timeout + 2000))]);
    },
  );
}

async function runWorkerProcess(config: RelayConfig, log: Log): Promise<void> {
  applyConfig(config);
  const port = Number(process.env.OVERLAPPED_RELAY_PORT);
  const worker = await startWorker({ ...config, listen: { ...config.listen, port } }, log, true);
  const send = (m: Message): void => {
    if (process.connected) process.send?.(m);
  };
  // Figures at twice the stats rate (or every second for metrics), for the primary to sum.
  const every = config.stats > 0 ? Math.min(1000, (config.stats * 1000) / 2) : 1000;
  const timer = setInterval(() => send({ type: 'figures', figures: worker.figures() }), every);
  const onSignal = (): void => {
    clearInterval(timer);
    void worker.drain(config.drainTimeout).then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', () => {}); // the primary decides; it sends SIGTERM
  send({ type: 'listening', port: worker.port }); // after the handlers (see supervise())
}
