// An echo server and a client on overlapped, written as for node:net.
import net from 'overlapped'; // was: import net from 'node:net';

const server = net.createServer((socket) => socket.pipe(socket)); // echo
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const client = net.connect(port, '127.0.0.1', () => client.end('hello'));
  let reply = '';
  client.setEncoding('utf8');
  client.on('data', (text) => (reply += text));
  client.on('close', () => {
    console.log(`ok echo ${reply} (backend ${net.backend})`);
    server.close();
  });
});
