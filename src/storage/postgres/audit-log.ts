// The audit log on PostgreSQL: recording (src/accounts/audit-log.ts's shape), retention
// (src/storage/sqlite/audit-retention.ts's rule) and the admin's read (npm run audit).
import type { AuditEntry, AuditLog, AuditReader } from '../../accounts/audit-log.ts';
import { deleteInBatches, query, SAME_EMAIL } from './pool.ts';
import type { Pool } from './pool.ts';

const MAX_USER_AGENT = 512;
const DAY_MS = 86_400_000;
// Deleting in slices keeps each statement short (and under the pool's request-path statement
// timeout), so a first prune of a large, long-unpruned log does not hold locks for long.
const BATCH_SIZE = 5000;
const INSERT =
  'INSERT INTO audit_log (event, user_id, ip, user_agent, detail) VALUES ($1, (SELECT id FROM users WHERE id = $2), $3, $4, $5)';
/** foreign_key_violation: here, only the account being deleted while the event is recorded. */
const FK_VIOLATION = '23503';

export function createPostgresAuditLog(pool: Pool): AuditLog {
  return {
    async record(event, from, { userId, detail } = {}) {
      const userAgent = from.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null;
      const values = [event, userId ?? null, from.ip, userAgent, detail ?? null];
      // The subquery records NULL for an account already gone (the column references users). One
      // deleted while this runs is still visible to the subquery's snapshot, and the foreign-key
      // check, which waits for that delete to commit, then fails: record the event without it.
      try {
        await query(pool, INSERT, values, { name: 'audit-record' });
      } catch (error) {
        if ((error as { code?: unknown }).code !== FK_VIOLATION || userId == null) throw error;
        await query(pool, INSERT, [event, null, from.ip, userAgent, detail ?? null], { name: 'audit-record' });
      }
    },
  };
}

/** Deletes audit events older than `retentionDays` before `now`; returns how many. */
export async function prunePostgresAuditLog(pool: Pool, retentionDays: number, now = Date.now()): Promise<number> {
  // Zero or a typo must not empty the log.
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new RangeError(`audit retention must be a positive number of days, got ${retentionDays}`);
  }
  // `at` is ISO-8601 UTC text with milliseconds: text order is time order (as on SQLite).
  const cutoff = new Date(Math.max(now - retentionDays * DAY_MS, 0)).toISOString();
  return deleteInBatches(
    pool,
    `WITH gone AS (DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2) RETURNING 1)
    SELECT count(*)::int AS count FROM gone`,
    [cutoff],
    BATCH_SIZE,
  );
}

/** For `npm run audit`: the same rows as on SQLite. */
export function createPostgresAuditTrail(pool: Pool): AuditReader {
  const select = `SELECT a.id, a.at, a.event, a.user_id, u.email AS account, a.ip, a.user_agent, a.detail
    FROM audit_log a LEFT JOIN users u ON u.id = a.user_id`;
  return {
    async eventsSince(since, account) {
      if (account === undefined) return query<AuditEntry>(pool, `${select} WHERE a.at >= $1 ORDER BY a.at, a.id`, [since]);
      const [user] = await query<{ id: number }>(pool, `SELECT id FROM users WHERE ${SAME_EMAIL}`, [account]);
      if (!user) return undefined;
      return query<AuditEntry>(pool, `${select} WHERE a.user_id = $1 AND a.at >= $2 ORDER BY a.at, a.id`, [user.id, since]);
    },
  };
}
