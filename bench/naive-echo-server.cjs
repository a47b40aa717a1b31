// The server under test in bench/flood-rss.mjs: the naive echo the issue describes, which
// ignores write()'s return value. Run with argv[2] = 'overlapped' or 'node:net'.
const net = require(process.argv[2] === 'overlapped' ? '../' : 'node:net');
const server = net.createServer((s) => {
  s.on('data', (d) => s.write(d));
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGUSR2', () => {
  const stats = typeof net.stats === 'function' ? net.stats() : null;
  process.stdout.write(JSON.stringify(stats) + '\n');
});
