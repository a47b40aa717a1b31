// A test file closes everything it opened, even when one of its assertions fails: a server
// left listening or a socket left open keeps the process alive after the last test (under
// Wine, where every file shares one node.exe, that hangs the whole run) and can disturb the
// files after it. Both runners check it after each file: vitest through
// test/helpers/leak-check.ts, the Windows run (scripts/test-windows.mjs) between the files it
// loads into one node.exe. What is left is named with its owner and addresses, so a failure
// says whose it is.
import { overlapped } from './impls';

export interface OpenNow {
  /** libuv handles: node:net sockets and servers, child processes, pipes. */
  handles: Set<object>;
  sockets: number;
  listeners: number;
}

/** What is open now, to compare against once a file is done. */
export function openNow(): OpenNow {
  const s = overlapped.stats();
  return {
    handles: new Set((process as unknown as { _getActiveHandles(): object[] })._getActiveHandles()),
    sockets: s.socketsOpen,
    listeners: s.listenersOpen,
  };
}

function describeHandle(h: object): string {
  const name = h.constructor?.name ?? typeof h;
  const o = h as Record<string, any>;
  try {
    if (name === 'Server' && typeof o.address === 'function') return `node:net Server listening on ${JSON.stringify(o.address())}`;
    if (name === 'Socket') {
      if (o.remotePort !== undefined) return `node:net Socket ${o.localAddress}:${o.localPort} -> ${o.remoteAddress}:${o.remotePort}`;
      return `Socket (not a TCP connection: a pipe or a child's stdio)`;
    }
    if (name === 'ChildProcess') return `ChildProcess ${o.pid}: ${(o.spawnargs ?? []).join(' ').slice(0, 120)}`;
  } catch {
    // a half-torn-down handle: its class name is all there is to say
  }
  return name;
}

/**
 * What is open beyond `before` (taken as the file began), after giving closes up to `ms` to
 * finish (a destroyed socket emits 'close' a loop turn or a completion later). Empty when clean.
 */
export async function leftOpen(before: OpenNow, ms = 3000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const now = openNow();
    const left = [...now.handles].filter((h) => !before.handles.has(h)).map(describeHandle);
    if (now.sockets > before.sockets) left.push(`${now.sockets - before.sockets} overlapped socket(s)`);
    if (now.listeners > before.listeners) left.push(`${now.listeners - before.listeners} overlapped listener(s)`);
    if (left.length === 0 || Date.now() >= end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
