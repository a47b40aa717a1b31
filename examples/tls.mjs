// node:tls on overlapped sockets, both ends. The server: a tls.Server that is never listened
// on, fed the connections an overlapped server accepts. The client: tls.connect() over a
// socket from overlapped's connect(). (The key and certificate are the test suite's
// throwaway self-signed pair for localhost and 127.0.0.1.)
import fs from 'node:fs';
import tls from 'node:tls';
import net from 'overlapped';

const key = fs.readFileSync(new URL('../test/fixtures/tls-key.pem', import.meta.url));
const cert = fs.readFileSync(new URL('../test/fixtures/tls-cert.pem', import.meta.url));

const secureServer = tls.createServer({ key, cert }, (secure) => {
  secure.setEncoding('utf8');
  secure.on('data', (text) => secure.write(text.toUpperCase()));
  secure.on('end', () => secure.end());
});
const server = net.createServer((socket) => secureServer.emit('connection', socket));

server.listen(0, '127.0.0.1', () => {
  const socket = net.connect(server.address().port, '127.0.0.1');
  const secure = tls.connect({ socket, ca: cert, servername: 'localhost' }, () => {
    secure.end('secret');
  });
  let reply = '';
  secure.setEncoding('utf8');
  secure.on('data', (text) => (reply += text));
  secure.on('close', () => {
    console.log(`ok ${reply} authorized=${secure.authorized} (backend ${net.backend})`);
    server.close();
  });
});
