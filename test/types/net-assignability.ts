// Type tests, checked by `tsc -p test` (npm test runs it): overlapped's public types stand
// where node:net's are expected, so code typed against node:net compiles unchanged with
// overlapped (issue #11). Nothing here runs.
import type * as nodeNet from 'node:net';
import net from 'overlapped';
import * as named from 'overlapped';
import type {
  LookupFunction,
  NetConnectOpts,
  OnReadOpts,
  SocketConnectOpts,
  SocketReadyState,
  TcpNetConnectOpts,
} from 'overlapped';

declare const socket: named.Socket;
declare const server: named.Server;

// Instances where node:net's are expected.
export const s1: nodeNet.Socket = socket;
export const s2: nodeNet.Server = server;
export const s3: nodeNet.Socket = net.connect(80);
export const s4: nodeNet.Server = net.createServer();

// The factories where node's are expected (http.Agent's createConnection, for one).
export const f1: typeof nodeNet.createConnection = net.createConnection;
export const f2: typeof nodeNet.connect = named.connect;
export const f3: typeof nodeNet.createServer = net.createServer;

// Event overloads as @types/node has them.
socket.on('data', (d: Buffer) => d.length);
socket.on('close', (hadError: boolean) => hadError);
socket.on('lookup', (err: Error | null, address: string, family: string | number, host: string) => [err, address, family, host]);
server.on('connection', (s: nodeNet.Socket) => s.remotePort);
server.on('drop', (data?: nodeNet.DropArgument) => data?.remotePort);

// The option and helper types users import from node:net, under the same names.
export const o1: NetConnectOpts = { port: 80 };
export const o2: TcpNetConnectOpts = { port: 80, host: 'h', autoSelectFamily: true };
export const o3: SocketConnectOpts = { port: 80 };
export const o4: OnReadOpts = { buffer: Buffer.alloc(1), callback: () => true };
export const r: SocketReadyState = socket.readyState;
export const l: LookupFunction = (_h, _o, cb) => cb(null, '127.0.0.1', 4);
export const a: string[] | undefined = socket.autoSelectFamilyAttemptedAddresses;
export const bl: nodeNet.BlockList = new net.BlockList();
