// node:net's rules for arguments and addresses that every backend applies the same way: pure
// functions, so that index.ts and the node backend can use them without loading the native
// Socket (lib/socket.ts).
import type * as netUtil from 'node:net';

/** node:net's isPipeName(): a string that is not a number >= 0 names a pipe ('-1' does, '' does not). */
export function isPipeName(s: unknown): boolean {
  return typeof s === 'string' && !(Number(s) >= 0);
}

/**
 * Whether a server turns this peer away, as node:net's onconnection does from Node 23.4: the
 * blockList names its address, or its address cannot be read (it reset already).
 */
export function peerBlocked(list: netUtil.BlockList, address: string | undefined, family: string | undefined): boolean {
  return !address || list.check(address, family === 'IPv6' ? 'ipv6' : 'ipv4');
}
