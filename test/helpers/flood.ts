// Clients that send and never read (until told to), each sending a deterministic byte stream
// so that what comes back can be checked byte for byte, in order, at the end. The clients
// are node:net sockets that respect their own back-pressure: the pressure lands on the
// server under test, not on the test process.
import * as nodeNet from 'node:net';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { pattern } from './impls';

const BLOCK = pattern(64 * 1024, 12345);

export interface Flooder {
  socket: nodeNet.Socket;
  sent: number;
  /** Stops sending, reads everything the server echoes, and checks it equals what was sent. */
  finish(): Promise<boolean>;
}

export function flood(port: number): Flooder {
  const socket = nodeNet.connect(port, '127.0.0.1');
  socket.pause(); // never read while flooding
  const sentHash = createHash('sha256');
  let stopped = false;
  const f: Flooder = {
    socket,
    sent: 0,
    async finish() {
      stopped = true;
      const got = createHash('sha256');
      let received = 0;
      socket.on('data', (d: Buffer) => {
        received += d.length;
        got.update(d);
      });
      socket.resume();
      socket.end();
      await once(socket, 'end');
      return received === f.sent && got.digest('hex') === sentHash.digest('hex');
    },
  };
  socket.on('error', () => {});
  const pump = () => {
    while (!stopped && !socket.destroyed) {
      // Vary chunk boundaries so the server sees odd sizes.
      const n = 1000 + (Math.floor(f.sent / 7) % 60000);
      const chunk = BLOCK.subarray(0, n);
      sentHash.update(chunk);
      f.sent += n;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  socket.once('connect', pump);
  return f;
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
