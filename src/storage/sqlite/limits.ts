// The limits on SQLite: rate-limiter-flexible's better-sqlite3 store on the `rate_limits` table
// (made by migration 0002). Its consume is one upsert inside a transaction, so two processes on
// one database file count together.
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { Database } from './connection.ts';
import { createLimits } from '../../state/limits.ts';
import type { LimitName, LimitSettings, Limits } from '../../state/limits.ts';

export function createSqliteLimits(db: Database, overrides: Partial<Record<LimitName, LimitSettings>> = {}): Limits & { pruneExpired(): number } {
  const limits = createLimits(
    (name, { points, seconds }) =>
      new RateLimiterSQLite({
        storeClient: db,
        storeType: 'better-sqlite3',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: name,
        points,
        duration: seconds,
        // Each limiter would keep an in-process copy of "blocked" keys; the database is the one truth.
        inMemoryBlockOnConsumed: 0,
      }),
    overrides,
  );
  const removeExpired = db.prepare<[number]>('DELETE FROM rate_limits WHERE expire < ?');
  return { ...limits, pruneExpired: () => removeExpired.run(Date.now()).changes };
}
