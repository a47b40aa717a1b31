// A socket timeout above 2^31-1 ms is capped to it, with node's TimeoutOverflowWarning, as
// node:net does (issue #11: overlapped handed it to setTimeout(), which runs such a timer
// after 1 ms), through setTimeout() and through connect({ timeout }).
import { describe, expect, it } from 'vitest';
import { closeServer, impls, listen } from './helpers/impls';

const HUGE = 2 ** 31 + 10;

describe.each(impls)('%s: a timeout above 2^31-1 ms', (_name, net) => {
  it('is capped, not fired at once', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const server = net.createServer((s) => s.on('error', () => {}));
    const port = await listen(server as never);
    let fired = 0;
    const a = net.connect({ port, host: '127.0.0.1', timeout: HUGE });
    a.on('timeout', () => fired++);
    const b = net.connect(port, '127.0.0.1');
    b.setTimeout(HUGE, () => fired++);
    expect(b.timeout).toBe(HUGE);
    await Promise.all([a, b].map((s) => new Promise<void>((resolve) => s.once('connect', () => resolve()))));
    // A timer run after 1 ms (what an uncapped delay gives) would have fired by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired).toBe(0);
    expect(warnings.filter((w) => w === 'TimeoutOverflowWarning').length).toBe(2);
    process.off('warning', onWarning);
    a.destroy();
    b.destroy();
    await closeServer(server as never);
  });

  it('a non-number is a TypeError (ERR_INVALID_ARG_TYPE)', () => {
    const s = net.connect({ port: 1, host: '127.0.0.1' });
    s.on('error', () => {});
    expect(() => s.setTimeout('10' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    s.destroy();
  });
});
