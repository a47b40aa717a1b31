// The Node echo servers npm run bench measures, one program for node:net and overlapped's
// drop-in API, so that the same code runs on both:
//   node bench/servers/echo.cjs IMPL STYLE
// IMPL: 'node:net' or 'overlapped'. STYLE: 'data' (socket.on('data'), write(), pause while
// write() returns false, as a careful program does) or 'pipe' (socket.pipe(socket)).
// Prints the port it listens on, then serves until killed.
'use strict';
const [impl, style = 'data'] = process.argv.slice(2);
const net = impl === 'overlapped' ? require('../..') : require('node:net');

const server = net.createServer((socket) => {
  socket.on('error', () => {});
  if (style === 'pipe') {
    socket.pipe(socket);
    return;
  }
  socket.on('data', (d) => {
    if (!socket.write(d)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
});
server.listen(0, '127.0.0.1', 4096, () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
