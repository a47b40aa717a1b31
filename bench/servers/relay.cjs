// The node:net relay npm run bench compares `overlapped relay` against: each connection piped
// to a new connection to the target and back, as a Node program relays with node:net.
//   node bench/servers/relay.cjs TARGET_PORT
// Prints the port it listens on, then serves until killed.
'use strict';
const net = require('node:net');
const target = Number(process.argv[2]);
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  // No Nagle, as any relay must (overlapped relay and HAProxy do the same).
  client.setNoDelay(true);
  const upstream = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream).pipe(client);
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => console.log(server.address().port));
