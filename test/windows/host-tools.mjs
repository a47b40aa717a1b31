// Helpers for the Windows cases driven from the Linux side (test/windows/host-*.mjs, run by
// scripts/test-windows.mjs): peers are node:net on Linux, the server is node.exe under Wine.
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';

/** One request, one answer: sends `message`, resolves with all the peer sends before it ends. */
export function ask(port, message) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(message));
    const chunks = [];
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(chunks).toString());
    });
    c.on('error', reject);
  });
}

/** `count` peers at once, each sending message(i); resolves with each one's whole answer. */
export function connectAll(port, count, message) {
  return Promise.all(Array.from({ length: count }, (_, i) => ask(port, message(i))));
}

/**
 * The first line of `file` that parses as JSON, once node.exe (whose output goes to a file:
 * it cannot write to a pipe under Wine) has written it; undefined if `child` exits first or
 * `ms` pass.
 */
export async function waitForJsonLine(file, child, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        try {
          return JSON.parse(line);
        } catch {
          // not (yet) a JSON line
        }
      }
    }
    if (child.exitCode !== null) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}
