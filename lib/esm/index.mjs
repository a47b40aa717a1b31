// ESM entry point: the CommonJS build is the one implementation (one module instance, one
// native binding per environment, whichever way the package is imported).
import cjs from '../cjs/index.js';

export const {
  backend,
  stats,
  configure,
  createServer,
  connect,
  createConnection,
  Server,
  Socket,
  isIP,
  isIPv4,
  isIPv6,
  BlockList,
  SocketAddress,
} = cjs;
export default cjs.default;
