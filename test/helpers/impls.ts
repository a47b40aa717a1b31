// The implementations every behavioural test runs against: overlapped, loaded the way a user
// loads it (the package's own entry point, so the build under test is the one users get), and
// node:net as the reference whose behaviour overlapped must match.
import { createRequire } from 'node:module';
import * as nodeNet from 'node:net';
import { once } from 'node:events';

export { pattern, sha256 } from './bytes';

// __filename rather than import.meta.url: the same file is bundled to CommonJS for the
// Windows run (scripts/test-windows.mjs).
const require = createRequire(__filename);
export const overlapped = require('overlapped') as typeof import('../../dist/cjs/index');

/**
 * The backend the suite runs against: OVERLAPPED_BACKEND's when the suite is run with it
 * (`OVERLAPPED_BACKEND=node npx vitest run`), else the platform's native one.
 */
export const expectedBackend = process.env.OVERLAPPED_BACKEND || (process.platform === 'win32' ? 'iocp' : 'io_uring');

export type Net = Pick<typeof nodeNet, 'createServer' | 'connect' | 'createConnection'>;
export const impls: Array<[string, Net]> = [
  ['overlapped', overlapped as unknown as Net],
  ['node:net', nodeNet],
];

export async function listen(server: nodeNet.Server, host = '127.0.0.1', backlog?: number): Promise<number> {
  server.listen(backlog === undefined ? { port: 0, host } : { port: 0, host, backlog });
  await once(server, 'listening');
  return (server.address() as nodeNet.AddressInfo).port;
}

export async function closeServer(server: nodeNet.Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Collects everything a socket receives until 'end'. */
export function readAll(socket: nodeNet.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}
