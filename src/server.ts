// Reads the config, builds the app, listens, and shuts down gracefully on SIGINT/SIGTERM.
// `startServer` is the start without the process around it (tests call it in-process); run as
// `node src/server.ts`, the module also reads .env, exits 1 when the start fails and handles signals.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, readDotEnv } from './config.ts';
import { buildApp } from './app.ts';
import type { BuildOptions } from './app.ts';
import { stdoutLogStream } from './http/log-destination.ts';

/** How long in-flight requests get to finish after a signal before the process is killed. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long, at most, log lines still waiting get to reach a slow reader before the exit. */
const LOG_FLUSH_MS = 2_000;

export type StartResult = { app: FastifyInstance } | { failed: true };

/**
 * Loads the config from `env`, builds the app and listens. A wrong config or a failed start (a
 * changed migration, a port in use) writes one clear line to `stderr`, not a stack, and returns
 * `{ failed: true }` with nothing left open.
 */
export async function startServer(
  env: Record<string, string | undefined> = process.env,
  stderr: { write(text: string): unknown } = process.stderr,
  options: BuildOptions = {},
): Promise<StartResult> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    stderr.write(`Configuration error: ${err.message}\n`);
    return { failed: true };
  }
  let app;
  try {
    app = await buildApp(config, options);
    await app.listen({ host: config.host, port: config.port });
    return { app };
  } catch (err) {
    stderr.write(`Could not start: ${(err as Error).message}\n`);
    await app?.close().catch(() => {});
    if (!options.logStream) await stdoutLogStream().whenWritten(LOG_FLUSH_MS);
    return { failed: true };
  }
}

// On SIGTERM/SIGINT: stop accepting connections, let requests in flight finish (a Verify call
// can take seconds), close the database, exit 0. A second signal, or still running after
// SHUTDOWN_GRACE_MS, exits 1 at once. An uncaught error closes the same way, then exits 1.
// The log never holds any of this: it drops what a stalled reader cannot take (log-destination.ts).
function closeOnSignals(app: FastifyInstance): void {
  const log = app.log;
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: log }, async ({ signal, err }) => {
    const graceEnds = Date.now() + SHUTDOWN_GRACE_MS;
    // Only the error's name, message and stack: a Vonage SDK error object carries the request's
    // Authorization header.
    if (err) log.fatal({ err: { type: err.name, message: err.message, stack: err.stack } }, 'uncaught error, closing');
    else log.info(`${signal ?? 'exit'} received, closing`);
    // Node closes idle keep-alive connections once, as closing starts; one whose request finishes
    // later would stay open for keepAliveTimeout (72 s) and hold the close past the grace period.
    const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100);
    try {
      await app.close();
    } finally {
      clearInterval(closeIdle);
    }
    // The last lines ("SIGTERM received") get a moment to reach the reader, within the grace period;
    // a reader that has stopped reading loses them rather than hold the exit.
    await stdoutLogStream().whenWritten(Math.min(LOG_FLUSH_MS, graceEnds - 500 - Date.now()));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  readDotEnv();
  const started = await startServer();
  if ('failed' in started) process.exit(1);
  closeOnSignals(started.app);
}
