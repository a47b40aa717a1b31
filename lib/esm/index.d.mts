export * from '../cjs/index.js';
import overlapped from '../cjs/index.js';
export default overlapped;
