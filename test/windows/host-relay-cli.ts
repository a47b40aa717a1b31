// Windows (IOCP under Wine), driven from the Linux side: the `overlapped relay` command (issue
// #12), run as a user runs it, `node.exe dist/cjs/cli/main.js relay ...`. Inside node.exe the
// suite cannot start it (Wine fails to create some child processes), and relay() alone does not
// cover it: on a native backend the command relays handle ids, with no Socket, through its own
// calls into the addon (lib/cli/worker-native.ts). Targets and clients are node:net on Linux;
// Wine's sockets are the host's, so they reach each other over loopback.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { pattern, sha256 } from '../helpers/bytes';
import { echoThrough, get } from '../helpers/cli';
import { settle } from '../helpers/settle';
import { jsonLines, type HostCase, type Wine } from './host-tools';

export const title = 'overlapped (IOCP): the relay command';

/**
 * A Linux echo target that keeps half-open connections (the relay carries each FIN on), and
 * counts the addresses its peers came from.
 */
async function echoTarget(peers = new Map<string, number>()): Promise<net.Server> {
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    peers.set(String(c.remoteAddress), (peers.get(String(c.remoteAddress)) ?? 0) + 1);
    c.on('error', () => {});
    c.pipe(c);
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

/** A port that was free a moment ago (for --metrics, which takes an address, not port 0). */
async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = portOf(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The relay in node.exe, its --json log read from a file (Wine cannot write to a pipe). */
class WineRelay {
  readonly child: ChildProcess;
  private readonly log: string;

  constructor(
    private readonly wine: Wine,
    name: string,
    args: string[],
  ) {
    this.log = wine.outFile(`${name}.log`);
    const argv = ['relay', '--listen', '127.0.0.1:0', '--json', ...args].map((a) => `"${a}"`).join(' ');
    this.child = wine.sh(`wine "${wine.nodeExe}" dist/cjs/cli/main.js ${argv} > "${this.log}" 2>&1`);
  }

  text(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  events(): Array<Record<string, unknown>> {
    return jsonLines(this.log);
  }

  /** The first event named so (and matching where), waiting up to ms for it. */
  async next(event: string, where: (e: Record<string, unknown>) => boolean = () => true, ms = 60_000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await settle(() => (found = this.events().find((e) => e.event === event && where(e))) !== undefined || this.child.exitCode !== null, ms, 100);
    if (found) return found;
    throw new Error(`no '${event}' from the relay (${this.child.exitCode === null ? 'timed out' : `exited ${this.child.exitCode}`}):\n${this.text()}`);
  }

  async port(): Promise<number> {
    const listening = await this.next('listening');
    assert.equal(listening.backend, 'iocp', `the relay runs on IOCP:\n${this.text()}`);
    return Number(String(listening.address).split(':').pop());
  }

  stop(): Promise<void> {
    return this.wine.stop(this.child);
  }
}

export const cases: HostCase[] = [
  {
    name: 'relays 100 concurrent connections intact both ways, half-close carried, from --source, with stats and /metrics',
    async run(wine: Wine) {
      const peers = new Map<string, number>();
      const target = await echoTarget(peers);
      const metricsPort = await freePort();
      // --source: outbound connections bound to an address with the port left to connect
      // (SO_REUSE_UNICASTPORT on Windows). 127.0.0.2 is a loopback address of Linux's own,
      // which the target then sees as every peer's address.
      const relay = new WineRelay(wine, 'relay-cli', [
        '--target', `127.0.0.1:${portOf(target)}`, '--source', '127.0.0.2',
        '--stats=1', '--metrics', `127.0.0.1:${metricsPort}`,
      ]);
      try {
        const port = await relay.port();
        await relay.next('metrics');
        const datas = Array.from({ length: 100 }, (_, i) => pattern(16 * 1024 + i * 997, i + 1));
        const got = await Promise.all(datas.map((d) => echoThrough(port, d)));
        got.forEach((g, i) => assert.equal(sha256(g), sha256(datas[i]), `connection ${i} came back intact`));
        const total = datas.reduce((n, d) => n + d.length, 0);
        const stats = await relay.next('stats', (e) => e.accepted === 100 && e.connections === 0);
        assert.equal(stats.bytesUp, total, 'stats: bytes up');
        assert.equal(stats.bytesDown, total, 'stats: bytes down');
        const text = await get(`http://127.0.0.1:${metricsPort}/metrics`);
        assert.match(text, /^overlapped_relay_accepted_total 100$/m);
        assert.match(text, new RegExp(`^overlapped_relay_bytes_total\\{direction="up"\\} ${total}$`, 'm'));
        assert.match(text, new RegExp(`^overlapped_relay_bytes_total\\{direction="down"\\} ${total}$`, 'm'));
        assert.match(text, /^overlapped_relay_closed_total\{how="ok"\} 100$/m);
        assert.deepEqual([...peers], [['127.0.0.2', 100]], 'every outbound connection came from --source');
        return `${total} bytes each way`;
      } finally {
        await relay.stop();
        target.close();
      }
    },
  },
  {
    name: 'skips a target that refuses, and closes a client when no target is left while it keeps running',
    async run(wine: Wine) {
      const good = await echoTarget();
      // A refused port: taken, then freed before the relay starts (the relay's own port comes
      // from the system, never this one: it is chosen after, with 0, and the port is free).
      const refused = await freePort();
      const goodPort = portOf(good);
      const relay = new WineRelay(wine, 'relay-cli-targets', ['--target', `127.0.0.1:${refused}`, '--target', `127.0.0.1:${goodPort}`]);
      try {
        const port = await relay.port();
        const datas = Array.from({ length: 10 }, (_, i) => pattern(4096 + i, 100 + i));
        for (const d of datas) assert.equal(sha256(await echoThrough(port, d)), sha256(d), 'relayed through the target that is up');
        const down = await relay.next('target-down', (e) => e.target === `127.0.0.1:${refused}`);
        assert.equal(down.reason, 'ECONNREFUSED', 'the refused target is reported by name');

        // Both targets down: the client is closed, the relay lives on.
        good.close();
        await once(good, 'close');
        const lost = await echoThrough(port, pattern(100, 7)).then(
          (b) => b.length,
          (e: NodeJS.ErrnoException) => e.code,
        );
        assert.ok(lost === 0 || lost === 'ECONNRESET', `the client is closed with nothing relayed (got ${lost})`);
        await relay.next('no-target');
        assert.equal(relay.child.exitCode, null, `the relay keeps running:\n${relay.text()}`);

        // The target back (on the same port): relayed again once its back-off passes.
        const back = net.createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
        back.listen(goodPort, '127.0.0.1');
        await once(back, 'listening');
        try {
          const d = pattern(50_000, 9);
          let ok = false;
          await settle(async () => (ok = (await echoThrough(port, d).catch(() => Buffer.alloc(0))).equals(d)), 20_000, 200);
          assert.ok(ok, `relayed again once the target was back:\n${relay.text()}`);
        } finally {
          back.close();
        }
      } finally {
        await relay.stop();
        if (good.listening) good.close();
      }
    },
  },
  {
    name: '--proxy-protocol v1: the target reads the client\'s address and port, then its bytes',
    async run(wine: Wine) {
      // The target gathers everything a connection sends, then ends it.
      let received: Promise<Buffer> | undefined;
      const target = net.createServer((s) => {
        received = new Promise((resolve) => {
          const chunks: Buffer[] = [];
          s.on('data', (d: Buffer) => chunks.push(d));
          s.on('end', () => {
            resolve(Buffer.concat(chunks));
            s.end();
          });
        });
      });
      target.listen(0, '127.0.0.1');
      await once(target, 'listening');
      const relay = new WineRelay(wine, 'relay-cli-proxy', ['--target', `127.0.0.1:${portOf(target)}`, '--proxy-protocol', 'v1']);
      try {
        const port = await relay.port();
        const client = net.connect(port, '127.0.0.1');
        await once(client, 'connect');
        const clientPort = client.localPort;
        client.end('payload');
        client.resume();
        await once(client, 'close');
        assert.ok(received, 'the target was reached');
        const buf = await received;
        const end = buf.indexOf('\r\n');
        assert.ok(end > 0, `a PROXY line ended by CRLF: ${JSON.stringify(buf.toString())}`);
        // PROXY TCP4 <client address> <relay address> <client port> <relay port>
        assert.deepEqual(buf.subarray(0, end).toString().split(' '), [
          'PROXY', 'TCP4', '127.0.0.1', '127.0.0.1', String(clientPort), String(port),
        ]);
        assert.equal(buf.subarray(end + 2).toString(), 'payload', 'then the client\'s bytes');
        return buf.subarray(0, end).toString();
      } finally {
        await relay.stop();
        target.close();
      }
    },
  },
];
