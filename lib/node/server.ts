// The node backend's Server: node:net's own Server, whose accepted sockets become the node
// backend's Socket (lib/node/socket.ts) with the Server's writeLimit,
// pauseOnWriteBackpressure and onread options. IPC paths are node:net's own, as on the native
// backends.
//
// maxConnections is node:net's here: a connection past it is accepted and closed ('drop'),
// where the native backends stop accepting and let it wait (docs/api.md); node:net offers
// no way to stop accepting for a while.
import * as net from 'node:net';

import { peerBlocked } from '../args';
import { config, validateServerOpts } from '../config';
import { ERR_INVALID_ARG_TYPE } from '../errors';
import type { ServerOpts } from '../server';
import { adopt, type AcceptOpts, type Socket } from './socket';

/** Counters of the node backend's listeners, for stats(). */
export const serverCounters = { listenersOpen: 0 };

export class Server extends net.Server {
  /** Times accepting was paused at maxConnections: always 0 here (see above). */
  static acceptPauses = 0;

  // What accepted sockets get (undefined writeLimit: configure()'s at each accept, as the
  // native Server does).
  declare private _writeLimit: number | undefined;
  declare private _accept: Omit<AcceptOpts, 'writeLimit'>;
  declare private _counted: boolean;
  declare private _blockList: net.BlockList | undefined;

  constructor(connectionListener?: (socket: Socket) => void);
  constructor(options?: ServerOpts, connectionListener?: (socket: Socket) => void);
  constructor(options?: unknown, connectionListener?: unknown) {
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    } else if (options === undefined || options === null) {
      options = {};
    } else if (typeof options !== 'object') {
      throw ERR_INVALID_ARG_TYPE('options', 'of type object', options);
    }
    const opts = { ...(options as ServerOpts) };
    validateServerOpts(opts);
    const { writeLimit, pauseOnWriteBackpressure, onread, ...rest } = opts;
    super(rest, connectionListener as (socket: net.Socket) => void);
    this._counted = false;
    this._blockList = opts.blockList || undefined;
    this._writeLimit = writeLimit;
    this._accept = { pauseOnWriteBackpressure: pauseOnWriteBackpressure !== false, onread };
  }

  override listen(...args: unknown[]): this {
    // IPC paths, fds and handles are node:net's own here, as the native backends hand them to
    // node:net (lib/server.ts _listenIpc).
    return (super.listen as (...a: unknown[]) => this)(...args);
  }

  // node:net's Server constructs its own Socket class for each connection; it becomes ours
  // before anyone sees it. 'listening' and close() keep stats().listenersOpen.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // Only node:net's own sockets: a program may emit 'connection' itself with another
    // stream (a TLS socket, a Duplex), which must stay what it is.
    if (event === 'connection' && Object.getPrototypeOf(args[0]) === net.Socket.prototype) {
      // blockList as node:net applies it from Node 23.4 (Node 20's ignores it): a blocked
      // peer, or one whose address is gone, is closed unseen.
      const list = this._blockList;
      const peer = args[0] as net.Socket;
      if (list && peerBlocked(list, peer.remoteAddress, peer.remoteFamily)) {
        peer.destroy();
        return false;
      }
      adopt(args[0] as net.Socket, { ...this._accept, writeLimit: this._writeLimit ?? config.socketWriteLimit });
    } else if (event === 'listening' && !this._counted) {
      this._counted = true;
      serverCounters.listenersOpen++;
    }
    return super.emit(event, ...args);
  }

  override close(callback?: (err?: Error) => void): this {
    if (this._counted) {
      this._counted = false;
      serverCounters.listenersOpen--;
    }
    return super.close(callback);
  }
}
