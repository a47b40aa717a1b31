// undici on overlapped sockets: an Agent (the dispatcher behind request() and fetch()) whose
// connect option opens each new connection with overlapped. This one speaks http: only; for
// https:, hand the socket to tls.connect({ socket, servername }) and call back on its
// 'secureConnect'.
import http from 'node:http';
import { Agent, request } from 'undici';
import net from 'overlapped';

// undici calls it once per new connection and wants the socket once it is connected.
let connections = 0;
function connect({ hostname, port }, callback) {
  connections++;
  const socket = net.connect(Number(port) || 80, hostname);
  const onError = (err) => callback(err, null);
  socket.once('error', onError);
  socket.once('connect', () => {
    socket.off('error', onError);
    callback(null, socket);
  });
}

// Any HTTP server will do; this one is node's own, on node:net.
const app = http.createServer((req, res) => res.end(`${req.method} ${req.url}`));
app.listen(0, '127.0.0.1', async () => {
  const dispatcher = new Agent({ connect });
  const { port } = app.address();
  const { statusCode, body } = await request(`http://127.0.0.1:${port}/things`, { dispatcher });
  const text = await body.text();
  console.log(`ok ${statusCode} ${text} over ${connections} overlapped connection (backend ${net.backend})`);
  await dispatcher.close();
  app.close();
});
