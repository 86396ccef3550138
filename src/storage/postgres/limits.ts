// The limits on PostgreSQL: rate-limiter-flexible's RateLimiterPostgres on the `rate_limits` table
// (made by migrations/0002_hardening.postgres.sql). Its consume is one
// INSERT … ON CONFLICT (key) DO UPDATE … RETURNING: PostgreSQL locks the row for the update and
// applies it to the latest committed version, so app processes sharing the database count together.
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { createLimits } from '../../state/limits.ts';
import type { LimitName, LimitSettings, Limits } from '../../state/limits.ts';
import { asUnavailable, deleteInBatches } from './pool.ts';
import type { Pool } from './pool.ts';

/** Rows per pruning statement: small enough to finish well within the statement timeout. */
const PRUNE_BATCH = 5000;

export function createPostgresLimits(pool: Pool, overrides: Partial<Record<LimitName, LimitSettings>> = {}): Limits & { pruneExpired(): Promise<void> } {
  // What the limiter sees as its pool: the real one, with a server that does not answer reported
  // as BackendUnavailableError like everywhere else (limits.ts hands store errors on: fail closed).
  const storeClient = {
    query: (config: { text: string; values?: unknown[]; name?: string }) =>
      pool.query(config).catch((error: unknown) => {
        throw asUnavailable(error);
      }),
  };
  const limits = createLimits(
    (name, { points, seconds }) =>
      new RateLimiterPostgres({
        storeClient,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        // Our prune() deletes expired rows; the limiter's own timer would run one per limit, forever.
        clearExpiredByTimeout: false,
        keyPrefix: name,
        points,
        duration: seconds,
        // Each limiter would keep an in-process copy of "blocked" keys; the database is the one truth.
        inMemoryBlockOnConsumed: 0,
      }),
    overrides,
  );
  return {
    ...limits,
    // In batches within the request-path timeouts (see deleteInBatches); the outer condition
    // keeps a counter a concurrent consume has just renewed.
    async pruneExpired() {
      await deleteInBatches(
        pool,
        `WITH gone AS (DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE expire < $1 LIMIT $2) AND expire < $1 RETURNING 1)
        SELECT count(*)::int AS count FROM gone`,
        [Date.now()],
        PRUNE_BATCH,
      );
    },
  };
}
