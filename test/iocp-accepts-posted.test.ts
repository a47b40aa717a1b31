// Windows only (on Linux one multishot accept serves a listener; there is no count to set):
// configure().acceptsPosted sets how many AcceptEx operations a listener keeps posted. With
// one or with many, a burst of connections far larger than the count is served in full, as
// each completed accept is re-posted.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { closeServer, listen, overlapped } from './helpers/impls';

describe.runIf(overlapped.backend === 'iocp')('overlapped (IOCP): accepts kept posted', () => {
  for (const count of [1, 64]) {
    it(`acceptsPosted: ${count} serves a burst of 300 connections`, async () => {
      const previous = overlapped.configure().acceptsPosted;
      overlapped.configure({ acceptsPosted: count });
      const server = overlapped.createServer((s) => s.end('ok'));
      const port = await listen(server as never);
      overlapped.configure({ acceptsPosted: previous }); // read at listen(); restored for the tests after
      const answers = await Promise.all(
        Array.from({ length: 300 }, async () => {
          const c = overlapped.connect(port, '127.0.0.1');
          const chunks: Buffer[] = [];
          c.on('data', (d: Buffer) => chunks.push(d));
          await once(c, 'end');
          c.destroy();
          return Buffer.concat(chunks).toString();
        }),
      );
      expect(answers.filter((a) => a === 'ok')).toHaveLength(300);
      await closeServer(server as never);
    });
  }
});
