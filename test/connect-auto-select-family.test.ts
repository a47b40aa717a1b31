// Happy eyeballs (autoSelectFamily, on by default since Node 20), as node:net does it: a host
// with several addresses is tried address by address, families alternating, each attempt
// given autoSelectFamilyAttemptTimeout ms, with the connectionAttempt* events, the attempted
// addresses, and an AggregateError when every one fails (issue #11: a host that resolved to
// ::1 first failed with ECONNREFUSED where node:net went on to 127.0.0.1). Each case runs on
// overlapped and on node:net and must give the same events. The lookups are custom, so that
// what the host resolves to does not depend on the machine.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import * as readline from 'node:readline';
import { closeServer, impls, listen } from './helpers/impls';

type LookupAll = (host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => void;

// Answers on a later turn, so that listeners added after connect() see every event.
function lookupOf(addresses: Array<{ address: string; family: number }>, seen?: Array<{ all?: boolean }>): LookupAll {
  return (_host, opts, cb) => {
    seen?.push(opts);
    setImmediate(() => (opts.all ? cb(null, addresses) : cb(null, addresses[0].address, addresses[0].family)));
  };
}

const EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout', 'connect', 'error'];

function record(socket: nodeNet.Socket): string[] {
  const events: string[] = [];
  for (const name of EVENTS) {
    socket.on(name, (...args: unknown[]) => {
      const shown = args.map((a) => (a instanceof Error ? (a as { code?: string }).code : a));
      events.push(`${name} ${shown.join(' ')}`.trim());
    });
  }
  return events;
}

describe.each(impls)('%s: connect with autoSelectFamily', (_name, net) => {
  it('tries the next address when the first refuses, and says so in events', async () => {
    const server = net.createServer((c) => c.end());
    const port = await listen(server as never, '127.0.0.1');
    const lookup = lookupOf([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    const socket = net.connect({ port, host: 'example.test', lookup: lookup as never });
    const events = record(socket as never);
    await once(socket, 'connect');
    expect(events).toEqual([
      'lookup  ::1 6 example.test',
      'lookup  127.0.0.1 4 example.test',
      `connectionAttempt ::1 ${port} 6`,
      `connectionAttemptFailed ::1 ${port} 6 ECONNREFUSED`,
      `connectionAttempt 127.0.0.1 ${port} 4`,
      'connect',
    ]);
    expect((socket as nodeNet.Socket).autoSelectFamilyAttemptedAddresses).toEqual([`::1:${port}`, `127.0.0.1:${port}`]);
    expect(socket.remoteAddress).toBe('127.0.0.1');
    socket.destroy();
    await closeServer(server as never);
  });

  it('fails with an AggregateError of every attempt when none connects', async () => {
    // A port nothing listens on: take one and close it.
    const probe = nodeNet.createServer();
    const port = await listen(probe);
    await closeServer(probe);
    const lookup = lookupOf([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    const socket = net.connect({ port, host: 'example.test', lookup: lookup as never });
    const [err] = (await once(socket, 'error')) as [AggregateError & { code?: string }];
    expect(err).toBeInstanceOf(AggregateError);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.errors.map((e: Error) => e.message)).toEqual([
      `connect ECONNREFUSED 127.0.0.1:${port}`,
      `connect ECONNREFUSED ::1:${port}`,
    ]);
    await once(socket, 'close');
  });

  it('with autoSelectFamily: false, asks for one address and tries only it', async () => {
    const server = net.createServer((c) => c.end());
    const port = await listen(server as never, '127.0.0.1');
    const seen: Array<{ all?: boolean }> = [];
    const lookup = lookupOf([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }], seen);
    const socket = net.connect({ port, host: 'example.test', lookup: lookup as never, autoSelectFamily: false });
    const events = record(socket as never);
    await new Promise((r) => socket.on('close', r));
    expect(seen.map((o) => !!o.all)).toEqual([false]);
    expect(events).toEqual([
      'lookup  ::1 6 example.test',
      `connectionAttempt ::1 ${port} 6`,
      `connectionAttemptFailed ::1 ${port} 6 ECONNREFUSED`,
      'error ECONNREFUSED',
    ]);
    await closeServer(server as never);
  });

  it('validates the options as node:net does', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ autoSelectFamily: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
      [{ autoSelectFamilyAttemptTimeout: '5' }, 'ERR_INVALID_ARG_TYPE'],
      [{ autoSelectFamilyAttemptTimeout: 0 }, 'ERR_OUT_OF_RANGE'],
      [{ autoSelectFamilyAttemptTimeout: 1.5 }, 'ERR_OUT_OF_RANGE'],
      [{ localAddress: 'not-an-ip' }, 'ERR_INVALID_IP_ADDRESS'],
    ];
    // Through a Socket of our own, destroyed after: node:net makes its handle before it
    // checks the options, and a throwing net.connect() would leave that handle open.
    const { Socket } = net as unknown as { Socket: new () => nodeNet.Socket };
    for (const [opts, code] of bad) {
      const socket = new Socket();
      try {
        expect(() => socket.connect({ port: 9, host: '127.0.0.1', ...opts } as never), JSON.stringify(opts)).toThrow(
          expect.objectContaining({ code }),
        );
      } finally {
        socket.destroy();
      }
    }
  });

  it("connects to server.address() as it is, family 'IPv4' included", async () => {
    const server = net.createServer((c) => c.end());
    await listen(server as never, '127.0.0.1');
    const address = server.address() as nodeNet.AddressInfo;
    expect(address.family).toBe('IPv4');
    const socket = net.connect({ ...address, host: 'localhost' } as never);
    await once(socket, 'connect');
    expect(socket.remoteAddress).toBe('127.0.0.1');
    socket.destroy();
    await closeServer(server as never);
  });

  // The unanswering address is a Linux listener whose accept queue is full (a Python process
  // that never accepts): Linux drops the SYNs that reach it, so the attempt hangs until its
  // timeout. node.exe under Wine cannot spawn that process.
  it.skipIf(process.platform !== 'linux')('gives an attempt that does not answer its timeout, then tries the next', async () => {
    const server = net.createServer((c) => c.end());
    const port = await listen(server as never, '127.0.0.1');
    const script =
      'import socket,sys\n' +
      's=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n' +
      `s.bind(("127.0.0.2", ${port})); s.listen(0); print("ready", flush=True); sys.stdin.read()`;
    const py = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: py.stdout! });
    await once(lines, 'line');
    // Fill the queue (backlog 0: one connection fills it): it completes its handshake and
    // waits, never accepted.
    const fillers = [nodeNet.connect(port, '127.0.0.2')];
    await Promise.all(fillers.map((f) => once(f, 'connect')));
    try {
      const lookup = lookupOf([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]);
      const socket = net.connect({ port, host: 'example.test', lookup: lookup as never, autoSelectFamilyAttemptTimeout: 50 });
      const events = record(socket as never);
      await once(socket, 'connect');
      expect(events.filter((e) => !e.startsWith('lookup'))).toEqual([
        `connectionAttempt 127.0.0.2 ${port} 4`,
        `connectionAttemptTimeout 127.0.0.2 ${port} 4`,
        `connectionAttempt 127.0.0.1 ${port} 4`,
        'connect',
      ]);
      socket.destroy();
    } finally {
      for (const f of fillers) f.destroy();
      lines.close();
      py.stdin!.end();
      await once(py, 'close'); // exited, and its pipes closed
      await closeServer(server as never);
    }
  });
});
