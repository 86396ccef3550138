// The audit log on PostgreSQL: recording (src/accounts/audit-log.ts's shape), retention
// (src/accounts/audit-retention.ts's rule) and the admin's read (npm run audit).
import pg from 'pg';
import type { AuditLog } from '../../accounts/audit-log.ts';
import { clientConfig, deleteInBatches, query, withMessage } from './pool.ts';
import type { Pool } from './pool.ts';
import type { AuditEntry } from '../../accounts/audit-log.ts';

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

export type AuditRow = AuditEntry;

/**
 * For `npm run audit`: events since `since` (an ISO time), oldest first, for one account when
 * `account` is given; undefined when no account has that email. The same rows as on SQLite.
 */
export async function readPostgresAuditLog(url: string, since: string, account?: string): Promise<AuditRow[] | undefined> {
  const client = new pg.Client(clientConfig(url));
  client.on('error', () => {}); // a dropped connection also fails the query in flight
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`could not connect to PostgreSQL: ${(withMessage(error) as Error).message} (check DATABASE_URL)`);
  }
  try {
    return await readEvents(client, since, account);
  } catch (error) {
    // 42P01: no such table, 42703: no such column.
    if (['42P01', '42703'].includes((error as { code?: string }).code ?? '')) {
      throw new Error(`the database's schema is out of date (${(error as Error).message}); run npm run migrate`);
    }
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

async function readEvents(client: pg.Client, since: string, account?: string): Promise<AuditRow[] | undefined> {
  let userId: number | undefined;
  if (account !== undefined) {
    // ASCII-only case folding, as the unique index and the account store compare emails.
    const { rows } = await client.query<{ id: number }>('SELECT id FROM users WHERE lower(email COLLATE "C") = lower($1 COLLATE "C")', [account]);
    if (rows.length === 0) return undefined;
    userId = rows[0].id;
  }
  const select = `SELECT a.id, a.at, a.event, a.user_id, u.email AS account, a.ip, a.user_agent, a.detail
    FROM audit_log a LEFT JOIN users u ON u.id = a.user_id`;
  const { rows } =
    userId === undefined
      ? await client.query<AuditRow>(`${select} WHERE a.at >= $1 ORDER BY a.at, a.id`, [since])
      : await client.query<AuditRow>(`${select} WHERE a.user_id = $1 AND a.at >= $2 ORDER BY a.at, a.id`, [userId, since]);
  return rows;
}
