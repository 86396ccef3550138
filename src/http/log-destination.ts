// Where the server's log lines go: stdout, through a bounded buffer that never holds the event
// loop or the exit when whoever reads stdout stops reading (a stuck log shipper, a dead `| tee`).
//
// Why not pino's default destination: it is the same sonic-boom, asynchronous, but unbounded, and
// it registers an exit hook that flushes synchronously, retrying EAGAIN every 100 ms for ever: a
// full pipe kept the process alive after SIGTERM, deaf to a second signal.
import sonicBoom from 'sonic-boom';
import type { SonicBoom as Boom } from 'sonic-boom';
import type { FastifyBaseLogger } from 'fastify';

// A CommonJS module whose typings name the class as a property of the module.
const { SonicBoom } = sonicBoom;

/** Past this many bytes waiting for the reader, new lines are dropped (and counted), not kept (LOG_BUFFER_BYTES changes it). */
export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * A pino destination on a file descriptor: lines are written asynchronously (sonic-boom, no exit
 * hook), at most `maxBytes` wait, the rest are dropped and counted, and the count is logged once
 * the reader has caught up (everything waiting is written).
 */
export class BoundedLogStream {
  readonly #boom: Boom;
  readonly #maxBytes: number;
  #pendingBytes = 0;
  #dropped = 0;
  #unreported = 0;
  #lastWriteDropped = false;
  /** The reader is gone (EPIPE): nothing will be written again. */
  #readerGone = false;
  #logger: FastifyBaseLogger | undefined;
  #whenIdle = new Set<() => void>();

  constructor(fd: number, maxBytes = LOG_BUFFER_BYTES) {
    this.#maxBytes = maxBytes;
    this.#boom = new SonicBoom({ fd, sync: false, maxLength: maxBytes });
    this.#boom.on('drop', () => {
      this.#lastWriteDropped = true;
      this.#countDropped();
    });
    this.#boom.on('write', (bytes: number) => (this.#pendingBytes = Math.max(0, this.#pendingBytes - bytes)));
    this.#boom.on('drain', () => this.#caughtUp());
    // Without a listener a write error would be thrown. Other errors (EIO, ENOSPC) leave the line
    // waiting: sonic-boom tries it again with the next one.
    this.#boom.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') return;
      this.#readerGone = true;
      this.#pendingBytes = 0;
      this.#caughtUp();
    });
  }

  /** pino's stream interface: one serialized line. */
  write(line: string): void {
    if (this.#readerGone) return this.#countDropped();
    this.#lastWriteDropped = false;
    this.#boom.write(line);
    if (!this.#lastWriteDropped) this.#pendingBytes += Buffer.byteLength(line);
  }

  /** Lines dropped since the start because the reader fell more than the bound behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Where the "lines dropped" notice goes once the reader catches up. */
  reportDropsTo(logger: FastifyBaseLogger): void {
    this.#logger = logger;
  }

  /** Resolves true once every line taken is written, or false after `ms` (a stalled reader). */
  whenWritten(ms: number): Promise<boolean> {
    if (this.#pendingBytes === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const written = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#whenIdle.delete(written);
        resolve(false);
      }, ms);
      this.#whenIdle.add(written);
    });
  }

  #countDropped(): void {
    this.#dropped += 1;
    this.#unreported += 1;
  }

  /** sonic-boom's 'drain': everything taken so far is written. */
  #caughtUp(): void {
    if (this.#unreported > 0 && this.#logger && !this.#readerGone) {
      const lines = this.#unreported;
      this.#unreported = 0;
      this.#logger.warn({ droppedLogLines: lines }, `${lines} log lines dropped: the log reader fell more than ${this.#maxBytes} bytes behind`);
    }
    if (this.#pendingBytes > 0) return;
    for (const resolve of this.#whenIdle) resolve();
    this.#whenIdle.clear();
  }
}

let stdoutStream: BoundedLogStream | undefined;

/** The process's one stdout log stream: every app in the process shares fd 1, and the bound the first caller gives. */
export function stdoutLogStream(maxBytes = LOG_BUFFER_BYTES): BoundedLogStream {
  // Reading process.stdout opens fd 1 as Node's stream, which makes a pipe or socket
  // non-blocking: a full pipe then answers EAGAIN, which sonic-boom tries again on a timer. On a
  // blocking pipe the write would park a thread-pool thread, and process.exit waits for it for ever.
  // (A terminal stays blocking, as Node keeps it.)
  const fd = process.stdout.fd ?? 1;
  stdoutStream ??= new BoundedLogStream(fd, maxBytes);
  return stdoutStream;
}

/** Log lines dropped so far on stdout (for a metrics endpoint). */
export function droppedLogLines(): number {
  return stdoutStream?.dropped ?? 0;
}
