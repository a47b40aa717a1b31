// Where io_uring is blocked, the package falls back to epoll by itself (issue #10). Docker's
// default seccomp profile (since Docker 25) makes io_uring_setup fail with EPERM; the test
// does the same to a child process with a seccomp filter (test/fixtures/no-io-uring.c, built
// here) and checks that the import works, picks epoll, says why, and serves an echo.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const root = join(__dirname, '..');

// The child's program: an echo through the package's drop-in API, then what it chose and why.
const program = `
const net = require(${JSON.stringify(root)});
const server = net.createServer((c) => c.pipe(c));
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  let got = '';
  c.setEncoding('utf8');
  c.on('data', (d) => (got += d));
  c.on('close', () => {
    server.close();
    console.log(JSON.stringify({ backend: net.backend, got, probe: net.stats().backendProbe }));
  });
  c.end('hello through epoll');
});
`;

// seccomp filters and epoll are Linux's; on Windows the IOCP backend has no such fallback.
describe.skipIf(process.platform !== 'linux')('io_uring blocked by seccomp', () => {
  let dir: string;
  let launcher: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'overlapped-seccomp-'));
    launcher = join(dir, 'no-io-uring');
    await execFileAsync('cc', ['-O2', '-Wall', '-Wextra', '-o', launcher, join(root, 'test', 'fixtures', 'no-io-uring.c')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The choice is the package's own: the variable that forces a backend is removed.
  const env = (): NodeJS.ProcessEnv => {
    const e = { ...process.env };
    delete e.OVERLAPPED_BACKEND;
    return e;
  };

  it('falls back to epoll, says why, and serves', async () => {
    const { stdout } = await execFileAsync(launcher, [process.execPath, '-e', program], { env: env(), timeout: 20_000 });
    const out = JSON.parse(stdout);
    expect(out.got).toBe('hello through epoll');
    expect(out.backend).toBe('epoll');
    expect(out.probe.io_uring).toBe('EPERM');
    expect(out.probe.epoll).toBe('ok');
  });

  // A sandbox may let a ring be set up and refuse the rest: the probe tries what the backend
  // uses (registering a provided-buffer ring, here), not io_uring_setup alone.
  it('falls back to epoll where only io_uring_register is refused', async () => {
    const { stdout } = await execFileAsync(launcher, ['--register-only', process.execPath, '-e', program], { env: env(), timeout: 20_000 });
    const out = JSON.parse(stdout);
    expect(out.got).toBe('hello through epoll');
    expect(out.backend).toBe('epoll');
    expect(out.probe.io_uring).toBe('EPERM');
  });

  it('refuses to force io_uring there, naming the reason', async () => {
    const err = await execFileAsync(launcher, [process.execPath, '-e', `require(${JSON.stringify(root)}).backend`], {
      env: { ...env(), OVERLAPPED_BACKEND: 'io_uring' },
      timeout: 20_000,
    }).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(err).toBeDefined();
    expect(err?.stderr).toMatch(/ERR_OVERLAPPED_BACKEND/);
    expect(err?.stderr).toMatch(/io_uring.*EPERM/);
  });
});
