// relay(a, b) carries each side's end (FIN) over on its own: a side that has ended still
// receives what the other sends after, and relay() settles only once both ways have ended.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { closeServer, readAll } from './helpers/impls';
import { startRelay } from './helpers/relay';

async function listening(server: net.Server): Promise<net.Server> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('relay(): half-close each way', () => {
  it('the client ends first; the target answers after seeing its end', async () => {
    const target = await listening(
      net.createServer({ allowHalfOpen: true }, (s) => {
        const got = readAll(s);
        void got.then((req) => setTimeout(() => s.end(`answer to ${req.toString()}`), 50));
      }),
    );
    const relay = await startRelay(target);
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
      const received = readAll(client);
      client.end('question');
      await once(client, 'finish');
      expect((await received).toString()).toBe('answer to question');
      expect(await relay.settled[0]).toEqual({ aToB: 8, bToA: 18 });
    } finally {
      await relay.close();
      await closeServer(target);
    }
  });

  it('the target ends first; the client still sends after seeing its end', async () => {
    let targetGot: Promise<Buffer> | undefined;
    const target = await listening(
      net.createServer({ allowHalfOpen: true }, (s) => {
        targetGot = readAll(s);
        s.end('greeting');
      }),
    );
    const relay = await startRelay(target);
    try {
      const client = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
      const greeting = await readAll(client);
      expect(greeting.toString()).toBe('greeting');
      // The relay's upstream has seen the target's end; the way back stays open.
      await new Promise((r) => setTimeout(r, 50));
      client.end('late words');
      expect(await relay.settled[0]).toEqual({ aToB: 10, bToA: 8 });
      expect((await targetGot!).toString()).toBe('late words');
    } finally {
      await relay.close();
      await closeServer(target);
    }
  });
});
