// undici on overlapped sockets: a Client whose connect option hands it an overlapped socket,
// against a node:http server, and the same against an http server fed by an overlapped
// server. GET and a 1 MiB POST, keep-alive reuse included. Runs on overlapped and node:net.
import { describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { Client } from 'undici';
import { closeServer, impls, listen, pattern, sha256 } from './helpers/impls';

function app(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => res.end(`${req.method} ${req.url} ${sha256(chunks)}`));
  });
}

describe.each(impls)('%s: undici over the sockets', (_name, net) => {
  it('a Client connecting through connect() to an http server accepting through createServer()', async () => {
    const httpServer = app();
    const server = net.createServer((s) => httpServer.emit('connection', s));
    const port = await listen(server as never);
    let connects = 0;
    const client = new Client(`http://127.0.0.1:${port}`, {
      connect: ((opts: { hostname: string; port: string }, cb: (err: Error | null, s?: unknown) => void) => {
        connects++;
        const s = net.connect(Number(opts.port), opts.hostname);
        s.once('connect', () => cb(null, s));
        s.once('error', (e) => cb(e));
        return s;
      }) as never,
    });
    try {
      const a = await client.request({ path: '/a', method: 'GET' });
      expect(await a.body.text()).toBe(`GET /a ${sha256([])}`);
      const body = pattern(1024 * 1024, 31);
      const b = await client.request({ path: '/b', method: 'POST', body });
      expect(await b.body.text()).toBe(`POST /b ${sha256(body)}`);
      expect(connects).toBe(1); // one keep-alive connection served both
    } finally {
      await client.close();
      await closeServer(server as never);
    }
  });
});
