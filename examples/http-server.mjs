// node:http's server on connections accepted by overlapped: the http.Server is never
// listened on; each accepted socket is handed to it as node:net's server would hand it.
import http from 'node:http';
import net from 'overlapped';

const app = http.createServer((req, res) => {
  const socket = req.socket instanceof net.Socket ? 'overlapped' : 'other';
  res.end(`${req.url} served on an ${socket} socket`);
});
// node starts an http.Server's headersTimeout and requestTimeout checks, and the connection
// list closeIdleConnections() reads, on its 'listening' event. This one never listens.
app.emit('listening');
const server = net.createServer((socket) => app.emit('connection', socket));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  // Any HTTP client will do; this one is node's own, on node:net.
  http.get({ host: '127.0.0.1', port, path: '/page', agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (text) => (body += text));
    res.on('end', () => {
      console.log(`ok ${res.statusCode} ${body} (backend ${net.backend})`);
      server.close(); // stops accepting; 'close' comes once every connection has closed
      app.close(); // closes its idle kept-alive connections, and stops its timeout checks
    });
  });
});
