// relay(a, b): joins two sockets both ways until both have ended, then closes them, and
// resolves with the bytes moved each way. Between two overlapped sockets of a native backend
// the bytes never enter JavaScript. Here: a proxy in front of an echo server.
import { once } from 'node:events';
import net from 'overlapped';

const echo = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
echo.listen(0, '127.0.0.1');
await once(echo, 'listening');

let relayed;
const proxy = net.createServer((client) => {
  const upstream = net.connect(echo.address().port, '127.0.0.1');
  relayed = net.relay(client, upstream); // errors: it rejects, and both sockets are destroyed
});
proxy.listen(0, '127.0.0.1');
await once(proxy, 'listening');

const client = net.connect(proxy.address().port, '127.0.0.1');
client.end('hello');
let reply = '';
client.setEncoding('utf8');
for await (const text of client) reply += text;

const { aToB, bToA } = await relayed;
console.log(`ok ${reply}, ${aToB} bytes up and ${bToA} down (backend ${net.backend})`);
proxy.close();
echo.close();
