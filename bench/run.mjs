// npm run bench: overlapped against node:net and a C epoll echo server, side by side.
//
//   npm run bench -- [--quick] [--backend=NAME] [--runs=N] [--only=scenario,...]
//
// Each scenario runs every server in a fresh process, interleaved (A B C, A B C, ...), with
// the C load generator (bench/loadgen.c) pinned to CPU 0 and the server to CPU 1, so that the
// two never share a core. For each trial it takes the server's CPU time (user + system, all
// threads, from /proc) over the measured part only, and reports the medians of:
// throughput, round-trip p50/p99, server CPU time per message, and peak RSS; then the ratios
// ours / node:net and ours / C. Idle reports server RSS per held connection instead.
//
// Results: printed as they come, and written to bench/results/<date>-<backend>.md with an SVG
// chart beside it. The open-file cap on these machines is 20000 per process: the idle
// scenario holds at most 10000 connections, one descriptor each in the load generator and in
// the server, each of which raises its soft limit to what it needs.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const option = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const quick = args.includes('--quick');
const backend = option('backend', undefined);
const RUNS = Number(option('runs', quick ? 1 : 3));
const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

// The scenarios of issue #9's table. `quick` shortens each to about a minute in all.
const SECONDS = quick ? 2 : 5;
// Idle connections are read twice: a second after the last connect, and again once the
// server has settled. The burst of accepts grows V8's young generation (to 16 MiB for
// overlapped's echo server, 32 MiB for node:net's), and V8 gives it back on its own once
// allocation has stayed low (its memory reducer, which looks 8 s after its last full GC and
// again every 8 s until the rate is low): on this machine a Node server's RSS fell by a
// quarter to a half of its growth 8 to 23 s after the last connect, once, then stayed flat.
// The reducer starts only after a full GC, so a server whose burst needed none may keep its
// grown young generation: that is what it holds, and it is read as it is. A Node server's
// settled reading is taken a second after the fall, or at SETTLE_MAX_MS; a server with no
// garbage collector (C, HAProxy) is read at SETTLE_MIN_MS.
const SETTLE_MIN_MS = 5000;
const SETTLE_MAX_MS = 40000;
const SCENARIOS = [
  { name: 'ping-pong', title: 'ping-pong, 1000 connections x 64 B', mode: 'echo', params: { conns: 1000, depth: 1, size: 64 } },
  { name: 'pipelined', title: 'pipelined, 100 connections x 64 B x 16 in flight', mode: 'echo', params: { conns: 100, depth: 16, size: 64 } },
  { name: 'bulk', title: 'bulk, 64 KiB messages, 1 connection', mode: 'echo', params: { conns: 1, depth: 1, size: 65536 } },
  { name: 'churn', title: 'churn: connect, 16 B echo, close (per connection)', mode: 'churn', params: { conns: 8 } },
  // Three figures from the same trials: RSS per connection over all of them a second after
  // the last connect (what they cost from a server that has just started listening, code
  // paged in and the heap as the burst of accepts left it), the same once the server has
  // settled (see SETTLE_MIN_MS), and per connection from the first 10% to all, a second
  // after the last connect (the cost of one more).
  {
    name: 'idle', title: `idle, KB of server RSS per connection at ${quick ? 2000 : 10000}`, mode: 'idle',
    params: { conns: quick ? 2000 : 10000, first: quick ? 200 : 1000 },
    also: [
      { name: 'idle-settled', title: `idle, KB of server RSS per connection at ${quick ? 2000 : 10000}, settled`, key: 'kbPerConnSettled' },
      { name: 'idle-marginal', title: `idle, KB of server RSS per connection from ${quick ? 200 : 1000} to ${quick ? 2000 : 10000}`, key: 'kbPerConnMarginal' },
    ],
  },
];
const only = option('only', undefined)?.split(',');
const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));

const ECHO_SERVERS = [
  { name: 'C epoll', cmd: () => [bin('echo-server')] },
  { name: 'node:net', cmd: () => [process.execPath, join(here, 'servers', 'echo.cjs'), 'node:net', 'data'] },
  { name: 'overlapped', cmd: () => [process.execPath, join(here, 'servers', 'echo.cjs'), 'overlapped', 'data'], ours: true },
  { name: 'overlapped pipe()', cmd: () => [process.execPath, join(here, 'servers', 'echo.cjs'), 'overlapped', 'pipe'], ours: true },
  { name: 'overlapped onread', cmd: () => [process.execPath, join(here, 'servers', 'echo.cjs'), 'overlapped', 'onread'], ours: true },
];

// ---- the C programs -------------------------------------------------------------------------
const binDir = join(root, 'build', 'bench');
function bin(name) {
  return join(binDir, name);
}
mkdirSync(binDir, { recursive: true });
for (const name of ['loadgen', 'echo-server']) {
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin(name), join(here, `${name}.c`)], { stdio: 'inherit' });
}

// ---- measuring ------------------------------------------------------------------------------
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / TICK;
}
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)[1]);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}
const pinned = (cpu, argv) => (os.cpus().length > 1 ? ['taskset', '-c', String(cpu), ...argv] : argv);

// The port a server listens on: the first line it prints, or (`overlapped relay`, whose log
// goes to stderr) the address of its 'listening' line.
let relayBackend = 'unknown'; // what `overlapped relay` says it runs on
function portOf(srv, server) {
  if (server.portFrom === 'haproxy') return new Promise((r) => setTimeout(() => r(haproxyPort), 500));
  const input = server.portFrom === 'stderr' ? srv.stderr : srv.stdout;
  const lines = readline.createInterface({ input });
  return Promise.race([
    (async () => {
      for await (const line of lines) {
        if (server.portFrom !== 'stderr') return Number(line);
        const m = / listening address=\S+:(\d+)/.exec(line);
        if (m) {
          relayBackend = / backend=(\S+)/.exec(line)?.[1] ?? relayBackend;
          input.resume(); // the rest of its log is not read
          return Number(m[1]);
        }
      }
      throw new Error(`${server.name} ended its output before it listened`);
    })(),
    once(srv, 'exit').then(([code]) => {
      throw new Error(`${server.name} exited (${code}) before it listened`);
    }),
  ]);
}

async function trial(scenario, server) {
  const env = { ...process.env };
  if (backend && server.ours) env.OVERLAPPED_BACKEND = backend;
  // A relay relays to the C echo server, pinned beside the load generator: what the relay
  // costs is measured on the server's CPU alone.
  let target;
  let targetPort;
  if (server.relay) {
    const [tcmd, ...targv] = pinned(0, [bin('echo-server')]);
    target = spawn(tcmd, targv, { stdio: ['ignore', 'pipe', 'inherit'] });
    targetPort = await portOf(target, { name: 'C echo target' });
  }
  const [cmd, ...argv] = pinned(1, server.cmd(targetPort));
  // The idle scenario's server holds up to 10000 descriptors: node raises its soft limit to
  // the hard one at start-up, and so does the C server.
  const srv = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', server.portFrom === 'stderr' ? 'pipe' : 'inherit'] });
  try {
    const port = await portOf(srv, server);
    const base = memory(srv.pid);
    // An idle trial holds its connections until the settled reading is taken (SIGUSR1 ends
    // the load generator's hold).
    const seconds = scenario.mode === 'idle' ? SETTLE_MAX_MS / 1000 + 5 : SECONDS;
    const p = Object.entries({ ...scenario.params, seconds, warmup: 1 }).map(([k, v]) => `${k}=${v}`);
    const [lcmd, ...largv] = pinned(0, [bin('loadgen'), scenario.mode, String(port), ...p]);
    const gen = spawn(lcmd, largv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let cpu0;
    let cpu1;
    let load0;
    let load1;
    let wall0;
    let wall1;
    const loadSeconds = () => cpuSeconds(gen.pid) + (target ? cpuSeconds(target.pid) : 0);
    const held = new Map(); // connections held -> the server's memory then
    let result;
    for await (const line of readline.createInterface({ input: gen.stdout })) {
      const v = JSON.parse(line);
      // The load side (the load generator, and a relay's target beside it on CPU 0) is read
      // too: where it is busy all the time, it is what limits the rate, not the server.
      if (v.phase === 'measure') [cpu0, load0, wall0] = [cpuSeconds(srv.pid), loadSeconds(), performance.now()];
      else if (v.phase === 'end') [cpu1, load1, wall1] = [cpuSeconds(srv.pid), loadSeconds(), performance.now()];
      // A second after the last connect, so that the server has accepted every one.
      else if (v.held) {
        setTimeout(() => held.set(v.held, memory(srv.pid)), 1000);
        if (v.held === scenario.params.conns) settle(srv, cmd === process.execPath || argv.includes(process.execPath), base.rss).then((m) => {
          held.set('settled', m);
          gen.kill('SIGUSR1');
        });
      }
      else result = v;
    }
    const [code] = gen.exitCode === null ? await once(gen, 'exit') : [gen.exitCode];
    if (code !== 0 || !result) throw new Error(`the load generator failed (${code}) against ${server.name}`);
    const out = { ...result, peakRss: memory(srv.pid).peak };
    if (scenario.mode === 'idle') {
      const { conns, first } = scenario.params;
      out.kbPerConn = (held.get(conns).rss - base.rss) / 1024 / conns;
      out.kbPerConnMarginal = (held.get(conns).rss - held.get(first).rss) / 1024 / (conns - first);
      out.kbPerConnSettled = (held.get('settled').rss - base.rss) / 1024 / conns;
    }
    else {
      out.cpuPerMsgUs = ((cpu1 - cpu0) * 1e6) / result.messages;
      out.serverBusy = ((cpu1 - cpu0) * 1000) / (wall1 - wall0);
      out.loadBusy = ((load1 - load0) * 1000) / (wall1 - wall0);
    }
    return out;
  } finally {
    srv.kill('SIGKILL');
    target?.kill('SIGKILL');
  }
}

// The settled reading of an idle server (see SETTLE_MIN_MS). `v8`: a Node server.
async function settle(srv, v8, base) {
  const start = Date.now();
  await sleep(1000);
  const first = memory(srv.pid).rss;
  // A fall of a fifth of the growth: V8 uncommitting its grown young generation, not a page.
  const fallen = first - (first - base) / 5;
  if (!v8) {
    await sleep(SETTLE_MIN_MS - 1000);
    return memory(srv.pid);
  }
  while (Date.now() - start < SETTLE_MAX_MS) {
    await sleep(500);
    if (memory(srv.pid).rss < fallen) {
      await sleep(1000);
      break;
    }
  }
  return memory(srv.pid);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- the run --------------------------------------------------------------------------------
const started = new Date();
const kernel = os.release();
const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
let backendName = backend;
if (!backendName) {
  try {
    backendName = execFileSync(process.execPath, ['-p', "require('./').backend"], { cwd: root }).toString().trim();
  } catch {
    backendName = 'unavailable';
  }
}
console.log(`npm run bench${quick ? ' --quick' : ''}: ${RUNS} run(s) of ${SECONDS} s per server and scenario, overlapped backend ${backendName}`);
console.log(`${started.toISOString()}, Linux ${kernel}, ${cpuModel}, ${os.cpus().length} CPUs, Node ${process.version}\n`);

// Two groups of servers, each measured over the same scenarios: the echo servers, and the
// relays (issue #12: `overlapped relay` against a node:net pipe() relay and HAProxy, all in
// front of the same C echo target). A relayed idle connection costs the relay two
// descriptors: the relay group holds 5000 (10000 descriptors in the relay, 5000 in the load
// generator and in the target, below the 20000 open-file cap).
// HAProxy says nothing of the port it bound: it is given one, just found free.
let haproxyPort = 0;
function freePort() {
  const out = execFileSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"]);
  return Number(out.toString());
}
function haproxyCmd(targetPort) {
  haproxyPort = freePort();
  const cfg = join(binDir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global', '  nbthread 1', '  maxconn 9000', '  ulimit-n 20000', '  log stderr format raw local0 emerg',
      'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s',
      'frontend relay', `  bind 127.0.0.1:${haproxyPort}`, '  default_backend target',
      'backend target', `  server t 127.0.0.1:${targetPort}`,
    ].join('\n') + '\n',
  );
  return ['haproxy', '-db', '-f', cfg];
}
let haproxy = false;
try {
  execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
  haproxy = true;
} catch {}
const RELAY_SERVERS = [
  { name: 'node:net pipe() relay', reference: true, relay: true, cmd: (t) => [process.execPath, join(here, 'servers', 'relay.cjs'), String(t)] },
  {
    name: 'overlapped relay', ours: true, relay: true, portFrom: 'stderr',
    cmd: (t) => [process.execPath, join(root, 'dist', 'cjs', 'cli', 'main.js'), 'relay', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${t}`, '--workers', '1'],
  },
];
if (haproxy) RELAY_SERVERS.push({ name: 'HAProxy', relay: true, cmd: haproxyCmd, portFrom: 'haproxy' });
const groups = [];
if (!args.includes('--relay-only')) groups.push({ name: 'echo', servers: ECHO_SERVERS, reference: 'node:net', scenarios });
if (!args.includes('--no-relay')) {
  const relayScenarios = scenarios.map((s) =>
    s.mode === 'idle'
      ? { ...s, name: 'relay-idle', title: `relayed idle, KB of relay RSS per connection at ${quick ? 2000 : 5000}`, params: { conns: quick ? 2000 : 5000, first: quick ? 200 : 500 }, also: [{ name: 'relay-idle-settled', title: `relayed idle, KB of relay RSS per connection at ${quick ? 2000 : 5000}, settled`, key: 'kbPerConnSettled' }] }
      : { ...s, name: `relay-${s.name}`, title: `relayed ${s.title}` },
  );
  groups.push({ name: 'relay', servers: RELAY_SERVERS, reference: 'node:net pipe() relay', scenarios: relayScenarios });
  if (!haproxy) console.log('HAProxy is not installed (Debian package haproxy): the relay group runs without it.\n');
}

const rows = [];
for (const { servers: SERVERS, reference, scenarios } of groups)
for (const scenario of scenarios) {
  const trials = new Map(SERVERS.map((s) => [s.name, []]));
  for (let run = 1; run <= RUNS; run++) {
    for (const server of SERVERS) {
      const r = await trial(scenario, server);
      trials.get(server.name).push(r);
      const figure = scenario.mode === 'idle' ? `${r.kbPerConn.toFixed(2)} KB/conn (${r.kbPerConnSettled.toFixed(2)} settled, ${r.kbPerConnMarginal.toFixed(2)} from ${scenario.params.first})` : `${r.msgs_per_s} msg/s, ${r.cpuPerMsgUs.toFixed(2)} us CPU/msg, p99 ${r.p99_us} us, busy: server ${r.serverBusy.toFixed(2)}, load ${r.loadBusy.toFixed(2)}`;
      console.log(`  ${scenario.name} run ${run}/${RUNS} ${server.name}: ${figure}`);
    }
  }
  const med = (name, key) => median(trials.get(name).map((t) => t[key]));
  const figures = [{ name: scenario.name, title: scenario.title, key: scenario.mode === 'idle' ? 'kbPerConn' : 'cpuPerMsgUs' }];
  if (scenario.also) figures.push(...scenario.also);
  for (const { name, title, key } of figures) for (const server of SERVERS) {
    rows.push({
      scenario: title,
      name,
      server: server.name,
      ours: !!server.ours,
      reference: server.name === reference,
      msgsPerS: med(server.name, 'msgs_per_s'),
      mbPerS: med(server.name, 'mb_per_s'),
      p50: med(server.name, 'p50_us'),
      p99: med(server.name, 'p99_us'),
      serverBusy: med(server.name, 'serverBusy'),
      loadBusy: med(server.name, 'loadBusy'),
      value: med(server.name, key),
      peakRss: med(server.name, 'peakRss'),
      vsNode: med(server.name, key) / med(reference, key),
      vsC: SERVERS.some((s) => s.name === 'C epoll') ? med(server.name, key) / med('C epoll', key) : NaN,
    });
  }
  const line = rows.filter((r) => r.scenario === scenario.title && !r.reference && r.server !== 'C epoll').map((r) => `${r.server} / ${reference} ${r.vsNode.toFixed(2)}`);
  console.log(`${scenario.title}: ${line.join(', ')}\n`);
}

// ---- the report -----------------------------------------------------------------------------
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
let md = `# npm run bench${quick ? ' --quick' : ''}, ${started.toISOString().slice(0, 10)}\n\n`;
md += `Linux ${kernel}, ${cpuModel}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; overlapped backend ${backendName}. `;
md += `${RUNS} interleaved run(s) of ${SECONDS} s (after 1 s of warm-up) per server and scenario, medians; load generator on CPU 0, server on CPU 1.`;
if (groups.some((g) => g.name === 'relay')) md += ` \`overlapped relay\` ran on the ${relayBackend} backend.`;
md += '\n\n';
md += '| scenario | server | msg/s | MB/s | p50 us | p99 us | server CPU us/msg (idle: KB/conn) | server busy | load busy | peak RSS MiB | / node:net | / C |\n';
md += '|---|---|---|---|---|---|---|---|---|---|---|---|\n';
for (const r of rows) {
  // Idle's traffic is one 16-byte echo per connection at the end: its rates say nothing.
  const idle = /(^|-)idle/.test(r.name);
  const traffic = idle ? '- | - | - | -' : `${Math.round(r.msgsPerS)} | ${fmt(r.mbPerS)} | ${r.p50} | ${r.p99}`;
  const busy = idle ? '- | -' : `${fmt(r.serverBusy)} | ${fmt(r.loadBusy)}`;
  md += `| ${r.scenario} | ${r.server} | ${traffic} | ${fmt(r.value)} | ${busy} | ${fmt(r.peakRss / 2 ** 20, 0)} | ${fmt(r.vsNode)} | ${fmt(r.vsC)} |\n`;
}
md += '\n"server busy" and "load busy": the share of one CPU that the server, and the load side on CPU 0 (the load generator, with a relay\'s target), used in the measured window. Where the load side is near 1.00 it limits the rate, and the server, with time to spare, reads each socket sooner and so with fewer messages waiting: its CPU per message then says how much it lets messages pile up as well as what it costs.\n';
md += '\nServer CPU time is read from /proc in 1/100 s ticks: where a server handles few messages in the window (bulk on overlapped), its per-message figure is coarse.\n';
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const base = `${started.toISOString().slice(0, 10)}-${backendName}${quick ? '-quick' : ''}`;
writeFileSync(join(resultsDir, `${base}.svg`), chart(rows));
writeFileSync(join(resultsDir, `${base}.json`), JSON.stringify({ date: started.toISOString(), kernel, cpuModel, node: process.version, backend: backendName, runs: RUNS, seconds: SECONDS, rows }, null, 1));
md += `\n![server CPU per message, relative to node:net](${base}.svg)\n`;
writeFileSync(join(resultsDir, `${base}.md`), md);
console.log(md);
console.log(`written: bench/results/${base}.md, .svg and .json`);

/**
 * A bar chart: each server's figure relative to node:net's, per scenario, on a log scale
 * centred on 1 (node:net), from 1/16 to 16; lower is better.
 */
function chart(rows) {
  const names = [...new Set(rows.map((r) => r.name))];
  const servers = [...new Set(rows.map((r) => r.server))];
  const colors = ['#888888', '#4477aa', '#ee6677', '#228833', '#ccbb44'];
  const W = 760;
  const H = 70 + names.length * (servers.length * 16 + 24);
  const left = 110;
  const right = W - 150;
  const x = (v) => {
    const l = Math.max(-4, Math.min(4, Math.log2(v)));
    return left + ((l + 4) / 8) * (right - left);
  };
  let y = 50;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">\n`;
  svg += `<rect width="${W}" height="${H}" fill="#fff"/>\n`;
  svg += `<text x="10" y="18" font-size="13">Server CPU per message (idle: RSS per connection) relative to node:net, log scale; lower is better</text>\n`;
  for (const t of [1 / 16, 1 / 4, 1, 4, 16]) {
    svg += `<line x1="${x(t)}" y1="30" x2="${x(t)}" y2="${H - 10}" stroke="#bbb" ${t === 1 ? '' : 'stroke-dasharray="2,3"'}/>`;
    svg += `<text x="${x(t) - 8}" y="40" fill="#666">${t < 1 ? `1/${1 / t}` : t}</text>\n`;
  }
  for (const n of names) {
    svg += `<text x="10" y="${y + 12}" font-weight="bold">${n}</text>\n`;
    for (const [i, s] of servers.entries()) {
      const r = rows.find((q) => q.name === n && q.server === s);
      const v = Number.isFinite(r?.vsNode) && r.vsNode > 0 ? r.vsNode : 1;
      const [a, b] = [Math.min(x(1), x(v)), Math.max(x(1), x(v))];
      svg += `<rect x="${a}" y="${y}" width="${Math.max(1, b - a)}" height="12" fill="${colors[i % colors.length]}"/>`;
      svg += `<text x="${right + 6}" y="${y + 10}">${s} ${fmt(r?.vsNode)}</text>\n`;
      y += 16;
    }
    y += 24;
  }
  return svg + '</svg>\n';
}
