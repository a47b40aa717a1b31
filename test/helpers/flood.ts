// Load for the budget tests. flood(): clients that send and never read, in a Python process of
// their own (test/fixtures/flood-verify.py) so that the flood costs the process under test no
// CPU; they check at the end that every byte came back in order. pingPong(): a well-behaved
// client doing one verified echo round trip after another.
import * as nodeNet from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { pattern } from './impls';

export interface Flood {
  /** Resolves once the peers' send rate has collapsed: the server stopped taking their data. */
  saturated: Promise<void>;
  /** Resolves with the final report, after the peers read everything back. */
  done: Promise<{ ok: number; total: number; sent: number; saturated: boolean }>;
  /**
   * Ends the flood (once saturated): the peers stop sending and read everything back. A test
   * calls it after taking its readings under pressure, so that how long the pressure lasts
   * is not a race against a fixed hold.
   */
  stop(): void;
}

/**
 * holdSeconds: the most the flood goes on after saturating if stop() is not called first.
 * limitSeconds: the peers give up (and report what they got) after this long in all.
 */
export function flood(port: number, connections: number, holdSeconds: number, limitSeconds = 60): Flood {
  const script = path.join(__dirname, '..', 'fixtures', 'flood-verify.py');
  const child = spawn('python3', [script, String(port), String(connections), String(holdSeconds), String(limitSeconds)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin!.on('error', () => {}); // the peers may be gone already
  const stop = () => {
    if (!child.stdin!.writableEnded) child.stdin!.end('stop\n');
  };
  const lines = readline.createInterface({ input: child.stdout! });
  let onSaturated: () => void;
  const saturated = new Promise<void>((r) => (onSaturated = r));
  const done = new Promise<{ ok: number; total: number; sent: number; saturated: boolean }>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'saturated') onSaturated();
      else resolve(JSON.parse(line));
    });
    child.on('exit', (code) => {
      onSaturated();
      if (code !== 0) reject(new Error(`flood-verify.py exited with ${code}`));
    });
  });
  return { saturated, done, stop };
}

/** A client that does one verified echo round trip after another until stopped. */
export function pingPong(port: number): { rounds: () => number; bad: () => number; stop: () => Promise<void> } {
  const socket = nodeNet.connect(port, '127.0.0.1');
  let rounds = 0;
  let bad = 0;
  let expect: Buffer | undefined;
  let buf = Buffer.alloc(0);
  let stopped = false;
  const send = () => {
    if (stopped) return;
    expect = pattern(100 + (rounds % 900), rounds + 1);
    socket.write(expect);
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (expect && buf.length >= expect.length) {
      if (!buf.subarray(0, expect.length).equals(expect)) bad++;
      buf = buf.subarray(expect.length);
      rounds++;
      send();
    }
  });
  socket.once('connect', send);
  socket.on('error', () => bad++);
  return {
    rounds: () => rounds,
    bad: () => bad,
    async stop() {
      stopped = true;
      socket.end();
      await once(socket, 'close');
    },
  };
}

/** `count` idle connections, opened 100 at a time. */
export async function openIdle(port: number, count: number): Promise<nodeNet.Socket[]> {
  const idle: nodeNet.Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, () => nodeNet.connect(port, '127.0.0.1'));
    await Promise.all(batch.map((c) => once(c, 'connect')));
    idle.push(...batch);
  }
  return idle;
}

/** Each socket sends its own message and ends; resolves with how many did not get it echoed back exactly. */
export async function echoEachOnce(sockets: nodeNet.Socket[]): Promise<number> {
  const ok = await Promise.all(
    sockets.map(async (c, i) => {
      const msg = pattern(64 + (i % 50), i + 3);
      const chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => chunks.push(d));
      c.end(msg);
      await once(c, 'end');
      return Buffer.concat(chunks).equals(msg);
    }),
  );
  return ok.filter((x) => !x).length;
}
