// One request, one answer: connects, sends `message`, and resolves with everything the peer
// sends back before it ends the connection.
import * as nodeNet from 'node:net';

/**
 * connected: called once the connection is up; the message goes when what it returns
 * resolves (a peer that holds its connection, silent, for a while).
 */
export function ask(port: number, message: string, connected?: () => Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = nodeNet.connect(port, '127.0.0.1', () => {
      if (connected === undefined) c.write(message);
      else void connected().then(() => c.write(message));
    });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(chunks).toString());
    });
    c.on('error', reject);
  });
}
