// The Node echo servers npm run bench measures, one program for node:net and overlapped's
// drop-in API, so that the same code runs on both:
//   node bench/servers/echo.cjs IMPL STYLE
// IMPL: 'node:net' or 'overlapped'. STYLE: 'data' (socket.on('data'), write(), pause while
// write() returns false, as a careful program does), 'pipe' (socket.pipe(socket)), or
// 'onread' (overlapped only: accepted sockets read into one shared buffer, no allocation per
// read; node:net takes onread on client sockets only).
// Prints the port it listens on, then serves until killed.
'use strict';
const [impl, style = 'data'] = process.argv.slice(2);
const net = impl === 'overlapped' ? require('../..') : require('node:net');

// onread: every connection reads into `shared`. A write that the kernel took at once is done
// with it; one that had to wait still holds it, so the next read goes into a fresh buffer.
let shared = Buffer.allocUnsafe(64 * 1024);
const onread = {
  buffer: () => shared,
  callback(n, buf) {
    const ok = this.write(buf.subarray(0, n));
    if (this.writableLength > 0) shared = Buffer.allocUnsafe(64 * 1024);
    if (!ok) {
      this.once('drain', () => this.resume());
      return false;
    }
    return true;
  },
};

const server = net.createServer(style === 'onread' ? { onread } : {}, (socket) => {
  socket.on('error', () => {});
  if (style === 'onread') return;
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
