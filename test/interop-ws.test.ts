// The ws library on overlapped sockets, in both roles: a WebSocket server behind node:http
// fed by an overlapped server, and a client whose connection is an overlapped socket (ws's
// createConnection). Text and a 1 MiB binary message go both ways, then a clean close.
// Runs on overlapped and on node:net alike.
import { describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { closeServer, impls, listen, pattern, sha256 } from './helpers/impls';

describe.each(impls)('%s: ws over the sockets', (_name, net) => {
  it('echoes text and 1 MiB of binary, and closes cleanly', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    httpServer.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws)));
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const server = net.createServer((s) => httpServer.emit('connection', s));
    const port = await listen(server as never);

    const client = new WebSocket(`ws://127.0.0.1:${port}/`, {
      createConnection: (() => net.connect(port, '127.0.0.1')) as never,
    });
    await once(client, 'open');
    const replies: Array<[Buffer, boolean]> = [];
    client.on('message', (data, isBinary) => replies.push([data as Buffer, isBinary]));
    const big = pattern(1024 * 1024, 21);
    client.send('hello');
    client.send(big);
    while (replies.length < 2) await once(client, 'message');
    expect(replies[0][0].toString()).toBe('hello');
    expect(replies[0][1]).toBe(false);
    expect(replies[1][1]).toBe(true);
    expect(sha256(replies[1][0])).toBe(sha256(big));
    client.close(1000, 'done');
    const [code] = await once(client, 'close');
    expect(code).toBe(1000);
    wss.close();
    await closeServer(server as never);
  });
});
