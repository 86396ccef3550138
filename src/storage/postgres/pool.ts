// The one way this app talks to PostgreSQL: a pg.Pool that survives the server going away, and
// a query helper that turns "the server does not answer" into BackendUnavailableError (a 503 with
// Retry-After upstream) while leaving real SQL errors (a constraint, a typo) as they are.
import pg from 'pg';
import { BackendUnavailableError, isBackendUnavailable } from '../unavailable.ts';

export type Pool = pg.Pool;
/** `email` matches $1 with ASCII-only case folding, as the unique index and the account store compare emails. */
export const SAME_EMAIL = 'lower(email COLLATE "C") = lower($1 COLLATE "C")';
export type QueryResultRow = pg.QueryResultRow;

// Request-path limits. Every query of the pool is one short statement on a request's path, so a
// PostgreSQL that stops answering (a partition, a frozen host) must fail the request within about
// three seconds, as a 503: well inside the 10 s SIGTERM grace, and no request piles up behind it.
// Nothing on the pool may need longer: pruning deletes in small batches (deleteInBatches), and the
// migration runner and the audit command use connections of their own (clientConfig).
/** How long a request waits for a connection (and a free slot in the pool) before giving up. */
const CONNECT_TIMEOUT_MS = 3000;
/** The server cancels a statement running longer than this (a stuck lock, a runaway query). */
const STATEMENT_TIMEOUT_MS = 2500;
/** The server gives up waiting for a row or table lock after this (55P03, a 503 like the others). */
const LOCK_TIMEOUT_MS = 2000;
/** A server that stops answering mid-query (host gone, packets dropped) fails the call here. */
const QUERY_TIMEOUT_MS = 3000;

// bigint columns (ms timestamps, counts, ids) as JS numbers: every value this schema stores in
// one is far below 2^53. A larger one stays a string rather than silently losing digits.
const INT8_OID = 20;
const parseInt8 = (text: string) => {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
};
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Settings for a single connection of ours (the migration runner, the audit command). */
export function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, types: PG_TYPES, application_name: 'verify-signin' };
}

export interface PoolWatch {
  /** Told once per outage: an idle connection died, or a query found the server unreachable. */
  onIdleError?: (error: Error) => void;
  /** Told when a new connection opens after such an outage. */
  onRestored?: () => void;
}

const watches = new WeakMap<Pool, PoolWatch>();
/** Pools whose outage has been reported and not yet seen to end. */
const lost = new WeakSet<Pool>();

function reportLost(pool: Pool, error: Error): void {
  const watch = watches.get(pool);
  if (!watch || lost.has(pool) || pool.ending) return;
  lost.add(pool);
  watch.onIdleError?.(error);
}

export function createPool(url: string, options: { max?: number } & PoolWatch = {}): Pool {
  const pool = new pg.Pool({
    ...clientConfig(url),
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    lock_timeout: LOCK_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    // Notices a dead peer on an idle connection instead of waiting for the next query to hang.
    keepAlive: true,
  });
  // An idle client whose connection dies (server restart, pg_terminate_backend) emits 'error' on
  // the pool; with no listener that would crash the process. The pool has already dropped that
  // client, and the next query opens a fresh connection: the first one after an outage is told.
  watches.set(pool, options);
  pool.on('error', (error) => reportLost(pool, error));
  pool.on('connect', () => {
    if (lost.delete(pool)) options.onRestored?.();
  });
  return pool;
}

// Beyond what isBackendUnavailable knows: our own timeouts, the server cancelling a statement
// (57014, statement_timeout), a lock not granted in time (55P03, lock_timeout) and running out of
// connections (53300) all mean "try again soon".
const RETRYABLE_CODES = new Set(['57014', '55P03', '53300']);
const RETRYABLE_MESSAGES = /Query read timeout|Client was closed/i;

/** The error to hand on: an unavailable server as BackendUnavailableError, anything else as is. */
export function asUnavailable(error: unknown): unknown {
  if (error instanceof BackendUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  if (isBackendUnavailable(error) || RETRYABLE_CODES.has(code as string) || RETRYABLE_MESSAGES.test(message)) {
    return new BackendUnavailableError('database', withMessage(error));
  }
  return error;
}

/**
 * A connection failure to a host with several addresses arrives as an AggregateError with an
 * empty message; name the first cause instead, so logs and `npm run migrate` say something.
 */
export function withMessage(error: unknown): unknown {
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) {
    const first = error.errors[0] as Error;
    return Object.assign(new Error(first.message || String(first), { cause: error }), { code: (error as { code?: string }).code });
  }
  return error;
}

/** One statement on any pooled connection. */
export async function query<R extends QueryResultRow = QueryResultRow>(
  pool: Pool,
  text: string,
  values: unknown[] = [],
  options: { name?: string; timeoutMs?: number } = {},
): Promise<R[]> {
  try {
    // query_timeout per query is honoured by pg's Client but missing from its QueryConfig type.
    const config: pg.QueryConfig & { query_timeout?: number } = { text, values, name: options.name, query_timeout: options.timeoutMs };
    const result = await pool.query<R>(config);
    return result.rows;
  } catch (error) {
    // The server out of reach (not a slow statement or a busy pool) is an outage to report.
    if (isBackendUnavailable(error)) reportLost(pool, withMessage(error) as Error);
    throw asUnavailable(error);
  }
}

/**
 * Maintenance on the pool (pruning) within the request-path limits: runs `text`, a DELETE of at
 * most `batchSize` rows that returns how many as `count` and takes the batch size as its last
 * parameter, until a batch deletes fewer. Each batch is its own short statement, so a large
 * backlog never needs a longer timeout, never holds its locks for long, and never holds a pool
 * connection past shutdown (pool.end() waits for it): a closing pool stops the loop between
 * batches. Returns the total deleted.
 */
export async function deleteInBatches(pool: Pool, text: string, values: unknown[], batchSize: number): Promise<number> {
  let deleted = 0;
  while (!pool.ending) {
    const [{ count }] = await query<{ count: number }>(pool, text, [...values, batchSize]);
    deleted += count;
    if (count < batchSize) break;
  }
  return deleted;
}
