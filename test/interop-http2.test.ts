// node:http2 on overlapped sockets, in both roles: an http2 server fed by an overlapped
// server, and a client session over an overlapped socket (createConnection). A GET and a
// 1 MiB POST on one session. Runs on overlapped and node:net.
import { describe, expect, it } from 'vitest';
import * as http2 from 'node:http2';
import { once } from 'node:events';
import { closeServer, impls, listen, pattern, sha256 } from './helpers/impls';

function request(session: http2.ClientHttp2Session, path: string, body?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':method': body ? 'POST' : 'GET' });
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(impls)('%s: http2 over the sockets', (_name, net) => {
  it('serves a GET and a 1 MiB POST on one session', async () => {
    const h2 = http2.createServer();
    h2.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`${headers[':method']} ${headers[':path']} ${sha256(chunks)}`);
      });
    });
    const server = net.createServer((s) => h2.emit('connection', s));
    const port = await listen(server as never);
    const session = http2.connect(`http://127.0.0.1:${port}`, {
      createConnection: (() => net.connect(port, '127.0.0.1')) as never,
    });
    try {
      expect(await request(session, '/a')).toBe(`GET /a ${sha256([])}`);
      const body = pattern(1024 * 1024, 41);
      expect(await request(session, '/b', body)).toBe(`POST /b ${sha256(body)}`);
    } finally {
      session.close();
      await once(session, 'close');
      await closeServer(server as never);
    }
  });
});
