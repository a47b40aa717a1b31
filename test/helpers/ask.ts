// One request, one answer: connects, sends `message`, and resolves with everything the peer
// sends back before it ends the connection.
import * as nodeNet from 'node:net';

export function ask(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = nodeNet.connect(port, '127.0.0.1', () => c.write(message));
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(chunks).toString());
    });
    c.on('error', reject);
  });
}
