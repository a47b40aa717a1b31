// node:http's client on overlapped sockets: an http.Agent whose createConnection() makes
// them. The Agent passes the request's options (host, port, ...), as to node:net's.
import http from 'node:http';
import net from 'overlapped';

class OverlappedAgent extends http.Agent {
  createConnection(options) {
    return net.createConnection(options);
  }
}

// Any HTTP server will do; this one is node's own, on node:net.
const app = http.createServer((req, res) => res.end(`${req.method} ${req.url}`));

app.listen(0, '127.0.0.1', () => {
  const agent = new OverlappedAgent({ keepAlive: true });
  const { port } = app.address();
  http.get({ host: '127.0.0.1', port, path: '/items', agent }, (res) => {
    const socket = res.socket instanceof net.Socket ? 'overlapped' : 'other';
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (text) => (body += text));
    res.on('end', () => {
      console.log(`ok ${res.statusCode} ${body} on an ${socket} socket (backend ${net.backend})`);
      agent.destroy(); // closes the kept-alive socket
      app.close();
    });
  });
});
