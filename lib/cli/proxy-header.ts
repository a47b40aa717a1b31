// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that tells a
// target the client's address, as HAProxy's send-proxy does.
import { isIPv4, isIPv6 } from 'node:net';

export interface Addresses {
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
}

// An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d; it is an IPv4 client.
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v6Bytes(address: string): Buffer {
  // Expands '::' and an embedded IPv4 tail into 16 bytes.
  let text = address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1].split('.').map(Number);
    text = `${text.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function proxyHeader(version: 'v1' | 'v2', a: Addresses): Buffer {
  const src = plain(a.srcAddress);
  const dst = plain(a.dstAddress);
  const four = isIPv4(src) && isIPv4(dst);
  const six = isIPv6(src) && isIPv6(dst);
  if (version === 'v1') {
    if (!four && !six) return Buffer.from('PROXY UNKNOWN\r\n');
    return Buffer.from(`PROXY ${four ? 'TCP4' : 'TCP6'} ${src} ${dst} ${a.srcPort} ${a.dstPort}\r\n`);
  }
  if (!four && !six) {
    // LOCAL: the target uses the connection's own addresses.
    return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  }
  const addrs = four
    ? Buffer.concat([Buffer.from(src.split('.').map(Number)), Buffer.from(dst.split('.').map(Number))])
    : Buffer.concat([v6Bytes(src), v6Bytes(dst)]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(a.srcPort, 0);
  ports.writeUInt16BE(a.dstPort, 2);
  const head = Buffer.from([0x21, four ? 0x11 : 0x21, 0, 0]);
  head.writeUInt16BE(addrs.length + 4, 2);
  return Buffer.concat([V2_SIGNATURE, head, addrs, ports]);
}
