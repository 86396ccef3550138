// The one ioredis connection of an instance, tuned to fail fast: while Redis is down every call
// rejects at once with an unavailable error (a 503 upstream) instead of queueing or hanging, and
// the client keeps reconnecting by itself so the same object works again when Redis is back.
import { Redis } from 'ioredis';
import { BackendUnavailableError, isBackendUnavailable } from '../unavailable.ts';

export interface RedisClientOptions {
  /** A reply slower than this counts as Redis not answering (a stopped or overloaded server). */
  commandTimeoutMs?: number;
  /** Told once per outage (not per reconnect attempt), with an error free of the URL. */
  onConnectionError?: (error: BackendUnavailableError) => void;
  /** Told when the connection is ready again after an outage that was reported. */
  onConnectionRestored?: () => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** Longest pause between reconnect attempts: Redis is used again within a second of returning. */
const MAX_RECONNECT_DELAY_MS = 1000;

// Replies that mean Redis cannot serve us right now (loading, busy, failing over, out of memory under
// noeviction, refusing writes after a failed save): the request is a 503, not a bug.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|READONLY|OOM|MISCONF|NOREPLICAS)\b/;
const CLIENT_GAVE_UP = /Command timed out|aborted due to connection close|Redis connection is not ready/;

/**
 * The error to hand upstream: a failure to reach Redis becomes a BackendUnavailableError (503);
 * anything else (a wrong type, a script error: a bug) passes unchanged so it still shows as one.
 */
export function redisFailure(error: unknown): unknown {
  if (error instanceof BackendUnavailableError || !(error instanceof Error)) return error;
  scrub(error);
  if (isBackendUnavailable(error) || CLIENT_GAVE_UP.test(error.message) || TRANSIENT_REPLY.test(error.message)) {
    return new BackendUnavailableError('redis', error);
  }
  return error;
}

/**
 * ioredis hangs the failed command on a reply error (`command.args`): AUTH's password, a
 * session's JSON with its Verify request ID. Only the command's name may reach a log.
 */
function scrub(error: unknown): unknown {
  const failed = error as { command?: { name?: unknown } } | null;
  if (failed && typeof failed === 'object' && failed.command) failed.command = { name: failed.command.name };
  return error;
}

export const rethrowRedisFailure = (error: unknown): never => {
  throw redisFailure(error);
};

/** Clients being closed on purpose: their closing is not an outage to report. */
const closing = new WeakSet<Redis>();

export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const client = new Redis(url, {
    // Nothing waits for a connection: a call made while Redis is away fails now, not later.
    enableOfflineQueue: false,
    // A call in flight when the connection drops fails rather than being sent again after the
    // reconnect: a script that already ran (a consume, a claim) must not run twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    // On close, a socket that does not end by itself (Redis gone) is destroyed after this long;
    // ioredis's default (2 s) would hold a shutting-down process that long for nothing.
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Without an 'error' listener, every failed reconnect attempt would be printed by ioredis
  // itself; with one, a dropped connection is never an unhandled 'error' event. Reported once
  // per outage: on the first error, or on losing a ready connection (a clean close has none).
  let reported = false;
  const report = (error: unknown) => {
    if (reported || closing.has(client)) return;
    reported = true;
    options.onConnectionError?.(new BackendUnavailableError('redis', scrub(error)));
  };
  client.on('error', report);
  client.on('close', () => report(new Error('Connection is closed.')));
  client.on('ready', () => {
    if (reported && !closing.has(client)) options.onConnectionRestored?.();
    reported = false;
  });
  return client;
}

/** Resolves once the client first answers; rejects (and stops the client) if it cannot within `ms`. */
export function untilReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (error === undefined) return resolve();
      closing.add(client);
      client.disconnect();
      reject(new BackendUnavailableError('redis', scrub(error)));
    };
    const onReady = () => settle();
    const onError = (error: unknown) => settle(error);
    const timer = setTimeout(() => settle(new Error(`no answer within ${ms} ms`)), ms);
    client.once('ready', onReady);
    client.once('error', onError);
  });
}

/** QUIT when connected (pending replies arrive first), then drop the socket and any reconnect timer. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  closing.add(client);
  if (client.status === 'ready') await client.quit().catch(() => undefined);
  client.disconnect();
}
