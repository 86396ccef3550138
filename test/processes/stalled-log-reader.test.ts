// The real server with its stdout on a pipe that nobody reads (a stuck log shipper, a dead `| tee`):
// it keeps answering, drops and counts what the pipe cannot take, and still shuts down on a signal.
import { describe, expect, it } from 'vitest';
import { freePort, startServer } from '../helpers/server-process.ts';

/** src/server.ts's grace period: the README promises an exit within it. */
const SHUTDOWN_GRACE_MS = 10_000;
/** At LOG_LEVEL=trace every request's "incoming request" line carries its URL: this many bytes a request. */
const LONG_PATH = `/nothing-here-${'x'.repeat(12_000)}`;
/**
 * The server's bound (LOG_BUFFER_BYTES), an eighth of the 4 MiB default: the behaviour is the same
 * at any bound, and each test fills it with an eighth of the requests. Still well above what the
 * pipe (64 KiB) and Node's read buffer hold, so the assertions below tell the bound from them.
 */
const LOG_BUFFER_BYTES = 512 * 1024;

async function startStalledServer() {
  const port = await freePort();
  const server = startServer({ PORT: String(port), LOG_LEVEL: 'trace', LOG_BUFFER_BYTES: String(LOG_BUFFER_BYTES) });
  await server.waitFor(/Server listening/);
  // From here on nobody reads: the pipe fills (64 KiB), then Node's read buffer, then the server's.
  server.child.stdout.pause();
  return { ...server, base: `http://127.0.0.1:${port}` };
}

/** Requests until the server has logged at least `bytes`; every one must be answered, and soon. */
async function logAtLeast(base: string, bytes: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let logged = 0; logged < bytes; logged += 16 * LONG_PATH.length) {
    const batch = Array.from({ length: 16 }, () =>
      fetch(base + LONG_PATH, { signal: AbortSignal.timeout(5_000) }).then(async (res) => (await res.text(), res.status)),
    );
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

/** The exit code and how long after `since` it came, or 'still running' after `ms`. */
async function exitWithin(exited: Promise<number | null>, since: number, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'still running'>((done) => (timer = setTimeout(() => done('still running'), ms)));
  const outcome = await Promise.race([exited.then((code) => ({ code, afterMs: Date.now() - since })), gaveUp]);
  clearTimeout(timer);
  return outcome;
}

describe('a log reader that stops reading never holds the server', () => {
  it('keeps answering while the pipe is full, and SIGTERM ends it within the grace period', { timeout: 60_000 }, async () => {
    const server = await startStalledServer();
    const statuses = await logAtLeast(server.base, 2 * LOG_BUFFER_BYTES);
    expect(new Set(statuses)).toEqual(new Set([404]));
    const health = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(2_000) });
    expect(health.status).toBe(200);

    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const outcome = await exitWithin(server.exited, signalled, SHUTDOWN_GRACE_MS + 2_000);
    expect(outcome).toMatchObject({ code: 0 });
    expect(outcome !== 'still running' && outcome.afterMs).toBeLessThan(SHUTDOWN_GRACE_MS);
  });

  it('a second SIGTERM exits at once while the last lines wait for the stalled reader', { timeout: 60_000 }, async () => {
    const server = await startStalledServer();
    await logAtLeast(server.base, LOG_BUFFER_BYTES);

    server.child.kill('SIGTERM');
    // The first signal has been taken once the port stops answering; the close then waits (up to
    // 2 s) for the log lines the reader has not taken.
    for (;;) {
      const refused = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
        () => false,
        () => true,
      );
      if (refused) break;
    }
    const secondSignal = Date.now();
    server.child.kill('SIGTERM');
    const outcome = await exitWithin(server.exited, secondSignal, SHUTDOWN_GRACE_MS);
    // Exit code 1 is the second signal's: the first one's close exits 0.
    expect(outcome).toMatchObject({ code: 1 });
    expect(outcome !== 'still running' && outcome.afterMs).toBeLessThan(1_500);
  });

  it('drops what is past the bound, and logs how many lines once the reader catches up', { timeout: 60_000 }, async () => {
    const server = await startStalledServer();
    const before = server.output().stdout.length;
    const flooded = 3 * LOG_BUFFER_BYTES;
    await logAtLeast(server.base, flooded);

    server.child.stdout.resume();
    const [, dropped] = await server.waitFor(/"droppedLogLines":(\d+)/);
    expect(Number(dropped)).toBeGreaterThan(0);
    // What reached the reader is the bound (plus what the pipe and Node's read buffer held, and the
    // lines about the requests before), not everything that was logged.
    const received = server.output().stdout.length - before;
    expect(received).toBeLessThan(LOG_BUFFER_BYTES + 256 * 1024);
    expect(received).toBeLessThan(flooded);
  });
});
