// `overlapped relay`, the package's command, in front of an echo server: started as a child
// process (as `npx overlapped relay ...` would start it), used once, then stopped with
// SIGTERM, on which it lets open connections finish and exits 0. --json makes its log (on
// stderr) one JSON object per line; the 'listening' line says its port and backend.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import net from 'overlapped';

// The command's file, from the package's "bin".
const pkgJson = createRequire(import.meta.url).resolve('overlapped/package.json');
const bin = path.join(path.dirname(pkgJson), JSON.parse(fs.readFileSync(pkgJson, 'utf8')).bin.overlapped);

const echo = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
echo.listen(0, '127.0.0.1');
await once(echo, 'listening');

const target = `127.0.0.1:${echo.address().port}`;
const relay = spawn(
  process.execPath,
  [bin, 'relay', '--listen', '127.0.0.1:0', '--target', target, '--workers', '1', '--json'],
  { stdio: ['ignore', 'inherit', 'pipe'] },
);
const log = readline.createInterface({ input: relay.stderr });
const listening = await new Promise((resolve, reject) => {
  log.on('line', (line) => {
    const entry = JSON.parse(line);
    if (entry.event === 'listening') resolve(entry);
  });
  relay.once('exit', (code) => reject(new Error(`the relay exited with ${code}`)));
});

const client = net.connect(Number(listening.address.split(':').pop()), '127.0.0.1');
client.end('hello');
let reply = '';
client.setEncoding('utf8');
for await (const text of client) reply += text;

relay.kill('SIGTERM');
const [code] = await once(relay, 'exit');
console.log(`ok ${reply} through the relay on ${listening.backend}, exit ${code} (backend ${net.backend})`);
echo.close();
