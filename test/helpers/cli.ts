// Runs `overlapped relay` as a user would (the package's bin, built in dist/), with --json
// logs, and reads what it says: the port it listens on, its events, its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');

export interface RelayProcess {
  child: ChildProcess;
  port: number;
  /** The log lines so far, parsed. */
  events: Array<Record<string, unknown>>;
  /** Resolves with the first event named so (and matching `where`), waiting for it. */
  next(event: string, where?: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function runBin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function startRelayBin(args: string[]): Promise<RelayProcess> {
  const child = spawn(process.execPath, [BIN, 'relay', '--listen', '127.0.0.1:0', '--json', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        events.push({ event: 'text', line });
      }
      for (const w of waiters.splice(0)) w();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    for (const w of waiters.splice(0)) w();
    resolve(code);
  }));
  let done = false;
  void exited.then(() => (done = true));
  const next = async (event: string, where: (e: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = events.find((e) => e.event === event && where(e));
      if (found) return found;
      if (done) throw new Error(`relay exited before '${event}': ${stderr}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const listening = await next('listening');
  const port = Number(String(listening.address).split(':').pop());
  return {
    child,
    port,
    events,
    next,
    exited,
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Sends data through a relay, half-closes, and resolves with what came back before the end. */
export function echoThrough(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => {
      resolve(Buffer.concat(chunks));
      c.destroy();
    });
    c.on('error', reject);
    c.end(data);
  });
}

/** The body of a GET (the relay's /metrics). */
export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
