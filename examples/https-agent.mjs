// node:https's client on overlapped sockets: an https.Agent whose createConnection() makes
// the TCP connection with overlapped and runs TLS over it (tls.connect with `socket`). The
// Agent's options (ca, servername, ...) come in `options` with the request's. (The key and
// certificate are the test suite's throwaway self-signed pair for localhost and 127.0.0.1.)
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import net from 'overlapped';

const key = fs.readFileSync(new URL('../test/fixtures/tls-key.pem', import.meta.url));
const cert = fs.readFileSync(new URL('../test/fixtures/tls-cert.pem', import.meta.url));

class OverlappedHttpsAgent extends https.Agent {
  createConnection(options) {
    return tls.connect({ ...options, socket: net.createConnection(options) });
  }
}

// Any HTTPS server will do; this one is node's own, on node:net.
const app = https.createServer({ key, cert }, (req, res) => res.end(`${req.method} ${req.url}`));

app.listen(0, '127.0.0.1', () => {
  const agent = new OverlappedHttpsAgent({ keepAlive: true, ca: cert });
  const { port } = app.address();
  https.get({ host: '127.0.0.1', port, path: '/secure', servername: 'localhost', agent }, (res) => {
    const authorized = res.socket.authorized;
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (text) => (body += text));
    res.on('end', () => {
      console.log(`ok ${res.statusCode} ${body} authorized=${authorized} (backend ${net.backend})`);
      agent.destroy();
      app.close();
    });
  });
});
