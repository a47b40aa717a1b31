// `overlapped relay --proxy-protocol v1|v2`: the target reads a PROXY header (HAProxy's
// proxy-protocol.txt) naming the client's address and port and the relay's, then the
// client's bytes.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer } from './helpers/impls';
import { startRelayBin } from './helpers/cli';

interface Parsed {
  version: string;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  rest: string;
}

// A test target's own parser, written from the specification.
function parse(buf: Buffer): Parsed {
  if (buf.subarray(0, 6).toString() === 'PROXY ') {
    const end = buf.indexOf('\r\n');
    const [, proto, src, dst, sp, dp] = buf.subarray(0, end).toString().split(' ');
    expect(proto).toBe('TCP4');
    return { version: 'v1', src, dst, srcPort: Number(sp), dstPort: Number(dp), rest: buf.subarray(end + 2).toString() };
  }
  expect(buf.subarray(0, 12)).toEqual(Buffer.from('0d0a0d0a000d0a515549540a', 'hex'));
  expect(buf[12]).toBe(0x21); // version 2, PROXY
  expect(buf[13]).toBe(0x11); // TCP over IPv4
  const len = buf.readUInt16BE(14);
  expect(len).toBe(12);
  const a = buf.subarray(16, 16 + len);
  return {
    version: 'v2',
    src: [...a.subarray(0, 4)].join('.'),
    dst: [...a.subarray(4, 8)].join('.'),
    srcPort: a.readUInt16BE(8),
    dstPort: a.readUInt16BE(10),
    rest: buf.subarray(16 + len).toString(),
  };
}

describe('overlapped relay: PROXY protocol', () => {
  it.each(['v1', 'v2'])('%s', async (version) => {
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
    const relay = await startRelayBin(['--target', `127.0.0.1:${(target.address() as net.AddressInfo).port}`, '--workers', '1', '--proxy-protocol', version]);
    try {
      const client = net.connect(relay.port, '127.0.0.1');
      await once(client, 'connect');
      const clientPort = client.localPort; // gone once the client has closed
      const closed = once(client, 'close'); // which may come before the target's bytes are read
      client.resume();
      client.end('payload');
      while (received === undefined) await new Promise((r) => setTimeout(r, 5));
      const p = parse(await received);
      expect(p.version).toBe(version);
      expect(p.src).toBe('127.0.0.1');
      expect(p.srcPort).toBe(clientPort);
      expect(p.dst).toBe('127.0.0.1');
      expect(p.dstPort).toBe(relay.port);
      expect(p.rest).toBe('payload');
      await closed;
    } finally {
      expect(await relay.stop()).toBe(0);
      await closeServer(target);
    }
  });
});
