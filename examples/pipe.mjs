// pipe() between two overlapped sockets: as stream pipe(), with back-pressure and the end
// carried over; on a native backend, with no 'data' listener on the source, the bytes are
// forwarded inside the addon. Here: a proxy in front of an echo server, one pipe() each way.
import { once } from 'node:events';
import net from 'overlapped';

const echo = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
echo.listen(0, '127.0.0.1');
await once(echo, 'listening');

// allowHalfOpen: the client's end must not end our side before the echo has come back.
const proxy = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect(echo.address().port, '127.0.0.1');
  client.pipe(upstream).pipe(client);
});
proxy.listen(0, '127.0.0.1');
await once(proxy, 'listening');

const client = net.connect(proxy.address().port, '127.0.0.1');
client.end('hello');
let reply = '';
client.setEncoding('utf8');
for await (const text of client) reply += text;

console.log(`ok ${reply} (backend ${net.backend})`);
proxy.close();
echo.close();
