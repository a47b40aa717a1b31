// RSS of a naive echo server under clients that flood it and never read: node:net against
// overlapped, side by side, each trial a fresh server process and a fresh (Python) load
// generator. Samples the server's RSS and CPU time every 250 ms from /proc, prints a table,
// writes the series to bench/results/flood-rss.json and a plot to docs/flood-rss.svg.
//
//   node bench/flood-rss.mjs [seconds=15] [connections=200]
//
// 200 connections (400 fds across the two processes) is far below the 20000 open-file cap.
// A node:net server is stopped early if its RSS passes 6 GiB, to protect the machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as os from 'node:os';
import * as readline from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SECONDS = Number(process.argv[2] ?? 15);
const CONNS = Number(process.argv[3] ?? 200);
const RSS_CAP = 6 * 1024 ** 3;
const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux

function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpu = (Number(stat[11]) + Number(stat[12])) / TICK; // utime + stime, seconds
  return { rss, cpu };
}

async function trial(impl) {
  const server = spawn(process.execPath, [join(here, 'naive-echo-server.cjs'), impl], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: server.stdout });
  const port = Number((await once(lines, 'line'))[0]);
  const baseline = sample(server.pid);
  const flood = spawn('python3', [join(here, 'flood.py'), String(port), String(CONNS), String(SECONDS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let clientSent = '';
  flood.stdout.on('data', (d) => (clientSent += d));
  const series = [];
  const t0 = Date.now();
  let capped = false;
  const timer = setInterval(() => {
    const s = sample(server.pid);
    series.push({ t: (Date.now() - t0) / 1000, rss: s.rss, cpu: s.cpu - baseline.cpu });
    if (s.rss > RSS_CAP && !capped) {
      capped = true;
      flood.kill();
    }
  }, 250);
  await once(flood, 'exit');
  clearInterval(timer);
  let stats = null;
  if (impl === 'overlapped') {
    server.kill('SIGUSR2');
    stats = JSON.parse((await once(lines, 'line'))[0]);
  }
  server.kill();
  await once(server, 'exit');
  const peak = Math.max(...series.map((p) => p.rss));
  const cpu = series.at(-1)?.cpu ?? 0;
  const received = Number(clientSent.trim() || 0);
  return { impl, baselineRss: baseline.rss, peakRss: peak, cpuSeconds: cpu, clientBytesSent: received, capped, series, stats };
}

const MiB = 1024 * 1024;
const results = [];
for (const impl of ['node:net', 'overlapped']) {
  process.stderr.write(`running ${impl} for ${SECONDS}s with ${CONNS} flooding connections...\n`);
  results.push(await trial(impl));
}

console.log(`\nnaive echo server, ${CONNS} clients that send and never read, ${SECONDS}s, ${os.cpus().length} cores, node ${process.version}\n`);
console.log('| server | peak RSS | RSS at start | bytes the clients sent | server CPU s | server CPU ms per MiB sent |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const perMiB = r.clientBytesSent > 0 ? ((r.cpuSeconds * 1000) / (r.clientBytesSent / MiB)).toFixed(2) : 'n/a';
  console.log(
    `| ${r.impl} | ${(r.peakRss / MiB).toFixed(0)} MiB${r.capped ? ' (stopped at the cap)' : ''} | ${(r.baselineRss / MiB).toFixed(0)} MiB | ` +
      `${(r.clientBytesSent / MiB).toFixed(0)} MiB | ${r.cpuSeconds.toFixed(2)} | ${perMiB} |`,
  );
}
const [a, b] = results;
console.log(`\npeak RSS ratio node:net / overlapped: ${(a.peakRss / b.peakRss).toFixed(1)}x`);
if (b.stats) {
  console.log(
    `overlapped stats: queued peak ${(b.stats.queuedBytesPeak / MiB).toFixed(1)} MiB (budget ${(b.stats.writeBudget / MiB).toFixed(0)} MiB), ` +
      `largest socket ${(b.stats.largestSocketQueuedBytesPeak / 1024).toFixed(0)} KiB, pool ${(b.stats.poolBytes / MiB).toFixed(0)} MiB, ` +
      `destroyed for limit ${b.stats.socketsDestroyedForLimit}`,
  );
}

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'flood-rss.json'), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, connections: CONNS, node: process.version, results }, null, 1));

// The plot: RSS over time, both servers, log-free linear axes, plain SVG.
const W = 720, H = 360, L = 70, B = 40, T = 30, R = 20;
const maxT = Math.max(...results.flatMap((r) => r.series.map((p) => p.t)), 1);
const maxR = Math.max(...results.flatMap((r) => r.series.map((p) => p.rss)), 1) / MiB;
const x = (t) => L + (t / maxT) * (W - L - R);
const y = (m) => H - B - (m / maxR) * (H - B - T);
const colors = { 'node:net': '#c0392b', overlapped: '#2471a3' };
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
svg += `<rect width="${W}" height="${H}" fill="white"/>\n`;
svg += `<text x="${L}" y="18">Server RSS, naive echo, ${CONNS} clients that never read (${new Date().toISOString().slice(0, 10)})</text>\n`;
for (let i = 0; i <= 4; i++) {
  const m = (maxR * i) / 4;
  svg += `<line x1="${L}" x2="${W - R}" y1="${y(m)}" y2="${y(m)}" stroke="#ddd"/><text x="${L - 6}" y="${y(m) + 4}" text-anchor="end">${m.toFixed(0)} MiB</text>\n`;
}
for (let i = 0; i <= 5; i++) {
  const t = (maxT * i) / 5;
  svg += `<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${t.toFixed(0)} s</text>\n`;
}
results.forEach((r, i) => {
  const pts = r.series.map((p) => `${x(p.t).toFixed(1)},${y(p.rss / MiB).toFixed(1)}`).join(' ');
  svg += `<polyline fill="none" stroke="${colors[r.impl]}" stroke-width="2" points="${pts}"/>\n`;
  svg += `<text x="${W - R - 160}" y="${T + 16 + i * 16}" fill="${colors[r.impl]}">${r.impl}: peak ${(r.peakRss / MiB).toFixed(0)} MiB</text>\n`;
});
svg += '</svg>\n';
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'flood-rss.svg'), svg);
console.log('\nwrote bench/results/flood-rss.json and docs/flood-rss.svg');
