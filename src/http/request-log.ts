import { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify's two lines per request ("incoming request", "request completed") at debug instead of
 * info: at info they are two serialized, synchronous log writes per request, about a tenth of a
 * page's CPU time. Errors keep their level (and our error handler logs client errors and faults
 * itself); LOG_LEVEL=debug shows every request again.
 */
export class RequestLinesAtDebug extends LogController {
  incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) return super.requestCompleted(error, request, reply, metadata);
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** Fastify's logger is pino's, which also answers `isLevelEnabled`. */
type Logger = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type LogArgs = Parameters<Logger['info']>;

/**
 * Fastify's `childLoggerFactory`: each request's `request.log` is made when it first writes a
 * line, not for every request (pino's `child()` with the request-id binding cost about 3 µs of a
 * page, and most requests log nothing). It carries the same bindings, so lines look the same.
 */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // A route's own level or serializers change what the child does: make it now.
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new LazyChild(logger as Logger, bindings) as unknown as FastifyBaseLogger;
}

class LazyChild {
  #parent: Logger;
  #bindings: Bindings;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings) as Logger;
    return this.#child;
  }

  /** Writes through the real child, made now, when the level is on (a line is written). */
  #write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', args: LogArgs): void {
    if (this.isLevelEnabled(level)) (this.#real()[level] as (...a: LogArgs) => void)(...args);
  }

  trace(...args: LogArgs): void {
    this.#write('trace', args);
  }

  debug(...args: LogArgs): void {
    this.#write('debug', args);
  }

  info(...args: LogArgs): void {
    this.#write('info', args);
  }

  warn(...args: LogArgs): void {
    this.#write('warn', args);
  }

  error(...args: LogArgs): void {
    this.#write('error', args);
  }

  fatal(...args: LogArgs): void {
    this.#write('fatal', args);
  }

  silent(): void {}

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}
