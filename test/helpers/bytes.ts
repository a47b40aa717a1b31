// Test data and its fingerprint, with no side effect on import: the Linux-side Windows cases
// (test/windows/host-*.ts) use them without loading the package (helpers/impls.ts, which
// re-exports them, loads it).
import { createHash } from 'node:crypto';

export function sha256(buf: Buffer | Buffer[]): string {
  const h = createHash('sha256');
  for (const b of Array.isArray(buf) ? buf : [buf]) h.update(b);
  return h.digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
