// node:http2 on overlapped sockets, both ends, without TLS (h2c). The server: an http2
// server that is never listened on, fed the connections an overlapped server accepts. The
// client: a session whose connection comes from overlapped (createConnection).
import http2 from 'node:http2';
import net from 'overlapped';

const h2 = http2.createServer((req, res) => res.end(`${req.method} ${req.url} over http2`));
const server = net.createServer((socket) => h2.emit('connection', socket));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const session = http2.connect(`http://127.0.0.1:${port}`, {
    createConnection: () => net.connect(port, '127.0.0.1'),
  });
  const req = session.request({ ':path': '/doc' });
  // On a native backend the socket is a JS stream to node (it has no libuv handle), and over
  // one node may emit a stream's 'data' before its 'response' when both came in one read.
  let status;
  let body = '';
  req.setEncoding('utf8');
  req.on('response', (headers) => (status = headers[':status']));
  req.on('data', (text) => (body += text));
  req.on('close', () => {
    console.log(`ok ${status} ${body} (backend ${net.backend})`);
    session.close();
  });
  session.on('close', () => server.close());
});
