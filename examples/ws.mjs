// The ws library on overlapped sockets, both ends. The server: a WebSocketServer with
// noServer, upgrading requests of a node:http server fed by an overlapped server. The
// client: a WebSocket whose connection comes from overlapped (ws's createConnection option).
import http from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import net from 'overlapped';

const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
const app = http.createServer();
app.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
const server = net.createServer((socket) => app.emit('connection', socket));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
    createConnection: (options) => net.createConnection(options),
  });
  ws.on('open', () => ws.send('ping'));
  ws.on('message', (data) => {
    console.log(`ok echoed ${data} (backend ${net.backend})`);
    ws.close(1000);
  });
  ws.on('close', () => server.close());
});
