// node:http's Agent calls createConnection with the request's options, `path: null` among
// them; node:net takes a path only when it is truthy, so an Agent whose createConnection
// returns an overlapped socket must work as one returning a node:net socket (issue #11).
import { describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { closeServer, impls, listen } from './helpers/impls';

describe.each(impls)('%s: http.Agent with createConnection', (_name, net) => {
  it('requests go out on the sockets createConnection makes', async () => {
    const server = http.createServer((req, res) => res.end(`${req.method} ${req.url}`));
    const port = await listen(server as never);
    class Agent extends http.Agent {
      createConnection(options: object): never {
        return net.createConnection(options as never) as never;
      }
    }
    const agent = new Agent({ keepAlive: false });
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/x', agent }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toBe('GET /x');
    agent.destroy();
    await closeServer(server as never);
  });
});
