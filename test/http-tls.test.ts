// The mission's compatibility promise: node:http and node:tls run on overlapped sockets
// unchanged, in both roles, because Socket is a real stream.Duplex.
// (The key and certificate in fixtures/ are a throwaway self-signed pair for 127.0.0.1.)
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { once } from 'node:events';
import { closeServer, listen, overlapped, pattern, sha256 } from './helpers/impls';

const key = fs.readFileSync(path.join(__dirname, 'fixtures', 'tls-key.pem'));
const cert = fs.readFileSync(path.join(__dirname, 'fixtures', 'tls-cert.pem'));

function get(port: number, urlPath: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: body ? 'POST' : 'GET',
        host: '127.0.0.1',
        port,
        path: urlPath,
        agent: false,
        createConnection: () => overlapped.connect(port, '127.0.0.1') as never,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('overlapped: node:http and node:tls on top', () => {
  it('an http server fed by an overlapped server answers an http client on overlapped sockets', async () => {
    const httpServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const b = Buffer.concat(chunks);
        res.setHeader('content-type', 'text/plain');
        res.end(`${req.method} ${req.url} ${b.length} ${sha256(b)}`);
      });
    });
    const server = overlapped.createServer((s) => httpServer.emit('connection', s));
    const port = await listen(server as never);
    const body = pattern(3 * 1024 * 1024, 5);
    const [a, b] = await Promise.all([get(port, '/hello'), get(port, '/upload', body)]);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe(`GET /hello 0 ${sha256(Buffer.alloc(0))}`);
    expect(b.body.toString()).toBe(`POST /upload ${body.length} ${sha256(body)}`);
    await closeServer(server as never);
  });

  it('TLS both ways: tls.TLSSocket over an accepted socket, tls.connect over a connected one', async () => {
    const server = overlapped.createServer((raw) => {
      const secure = new tls.TLSSocket(raw as never, { isServer: true, key, cert });
      secure.on('data', (d: Buffer) => secure.write(Buffer.from(d.toString().toUpperCase())));
      secure.on('end', () => secure.end());
    });
    const port = await listen(server as never);
    const raw = overlapped.connect(port, '127.0.0.1');
    const secure = tls.connect({ socket: raw as never, ca: cert, servername: 'localhost' });
    await once(secure, 'secureConnect');
    expect(secure.authorized).toBe(true);
    const chunks: Buffer[] = [];
    secure.on('data', (d: Buffer) => chunks.push(d));
    secure.end('secret message');
    await once(secure, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('SECRET MESSAGE');
    await closeServer(server as never);
  });
});
