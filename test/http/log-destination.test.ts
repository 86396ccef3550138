// The bounded log stream on a real pipe (a FIFO), read or left unread by the test.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { BoundedLogStream } from '../../src/http/log-destination.ts';

const BOUND = 64 * 1024;
/** 1 KiB with its newline: the bound holds exactly 64 of them. */
const LINE = `${'x'.repeat(1023)}\n`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A stream on a FIFO whose write end is non-blocking (as Node leaves a stdout pipe), and nobody
 * reading it until the test says so (even a paused socket would read ahead into its own buffer).
 */
function pipedLog() {
  const dir = mkdtempSync(join(tmpdir(), 'log-pipe-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  let readFd: number | undefined = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const stream = new BoundedLogStream(writeFd, BOUND);
  let reader: Socket | undefined;
  let received = '';
  const startReading = () => {
    if (readFd !== undefined) reader ??= new Socket({ fd: readFd, readable: true, writable: false }).on('data', (chunk) => (received += chunk));
    return reader;
  };
  const closeReader = () => {
    if (readFd !== undefined && !reader) closeSync(readFd);
    reader?.destroy();
    readFd = undefined;
  };
  cleanups.push(async () => {
    // Only once the stream has nothing left to retry: a closed descriptor's number is soon reused.
    startReading();
    await stream.whenWritten(5_000);
    closeReader();
    closeSync(writeFd);
    rmSync(dir, { recursive: true, force: true });
  });
  /** Resolves once what was read ends with `tail`. */
  const readUntil = (tail: string) =>
    new Promise<string>((done) => {
      const check = () => received.endsWith(tail) && done(received);
      startReading()?.on('data', check);
      check();
    });
  return { stream, readUntil, closeReader };
}

/** Writes what it is told to warn straight into the stream, as pino would. */
function recordingLogger(stream: BoundedLogStream) {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = {
    warn(fields: Record<string, unknown>, msg: string) {
      warnings.push(fields);
      stream.write(`${JSON.stringify({ ...fields, msg })}\n`);
    },
  };
  return { logger: logger as unknown as FastifyBaseLogger, warnings };
}

describe('the bounded log stream', () => {
  it('past the bound, drops and counts lines instead of keeping them, and never waits for the reader', async () => {
    const { stream } = pipedLog();
    for (let i = 0; i < 32; i++) stream.write(LINE);
    // The pipe (64 KiB) takes these; it has no room left for another bound's worth.
    expect(await stream.whenWritten(10_000)).toBe(true);
    for (let i = 0; i < 100; i++) stream.write(LINE);
    expect(stream.dropped).toBe(100 - 64);
    expect(await stream.whenWritten(50)).toBe(false);
  });

  it('once the reader catches up, everything kept arrives and the count is logged once', async () => {
    const { stream, readUntil } = pipedLog();
    const { logger, warnings } = recordingLogger(stream);
    stream.reportDropsTo(logger);
    for (let i = 0; i < 200; i++) stream.write(LINE);

    const reading = readUntil('after\n');
    expect(await stream.whenWritten(10_000)).toBe(true);
    expect(warnings).toEqual([{ droppedLogLines: 136 }]);
    // The kept lines and the notice, and nothing else; later lines are not dropped.
    stream.write('after\n');
    const lines = (await reading).split('\n').slice(0, -1);
    expect(lines.filter((line) => `${line}\n` === LINE)).toHaveLength(64);
    expect(lines.slice(64)).toEqual([expect.stringContaining('"droppedLogLines":136'), 'after']);
    expect(stream.dropped).toBe(136);
  });

  it('when the reader is gone (EPIPE), drops every line and holds nothing back', async () => {
    const { stream, closeReader } = pipedLog();
    closeReader();
    stream.write(LINE);
    // The write fails with EPIPE: nothing is left to wait for.
    expect(await stream.whenWritten(10_000)).toBe(true);
    stream.write(LINE);
    stream.write(LINE);
    expect(stream.dropped).toBe(2);
  });
});
