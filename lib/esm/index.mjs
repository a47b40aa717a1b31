// ESM entry point: the CommonJS build is the one implementation (one module instance, one
// native binding per environment, whichever way the package is imported). Its named exports
// are found by node's CommonJS export detection, so this file keeps no list of its own.
import cjs from '../cjs/index.js';

export * from '../cjs/index.js';
export default cjs.default;
