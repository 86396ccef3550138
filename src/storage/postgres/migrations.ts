// The migration runner on PostgreSQL: the same files, names, checksums and refusals as on SQLite
// (src/storage/migrations.ts), with an advisory lock in place of SQLite's write lock.
import pg from 'pg';
import { assertNoTransactionControl, assertUnchanged, messageOf, MigrationError, readMigrations } from '../migrations.ts';
import type { MigrationFile } from '../migrations.ts';
import { clientConfig, withMessage } from './pool.ts';

/**
 * Held (session-level) by whichever runner is applying migrations to this database. Instances
 * starting together on a fresh database queue on it: the second one in sees everything the first
 * recorded and applies nothing twice. A constant, so `npm run migrate` and the app agree.
 */
export const MIGRATION_LOCK_KEY = 7_311_058_225_104_193n;

/** How often a runner asks again for the lock another instance holds. */
const LOCK_POLL_MS = 250;
/** How long a runner waits for another instance's migrations before refusing to go on. */
const LOCK_WAIT_MS = 60_000;
// The migration connection's own limits: generous, since a large seed or an index on a big table
// may take a while, but never infinite. A statement waiting this long for a table lock (an ALTER
// TABLE behind a long transaction) fails instead of queueing every request behind it for good,
// and a server that stops answering mid-run fails the run instead of hanging the start.
const MIGRATION_STATEMENT_TIMEOUT_MS = 30 * 60_000;
const MIGRATION_LOCK_TIMEOUT_MS = 30_000;
const MIGRATION_QUERY_TIMEOUT_MS = MIGRATION_STATEMENT_TIMEOUT_MS + 10_000;

export type MigrationRunOptions = {
  /** Called once, with a message to log, when another instance holds the lock and this run waits. */
  onWait?: (message: string) => void;
  /** How long to wait for that lock before failing with a MigrationError (default 60 s). */
  lockWaitMs?: number;
};

/**
 * Applies every pending migration from `dirs` to the database at `url`, each in its own
 * transaction, on one dedicated connection (with generous timeouts of its own), which holds the
 * lock for the whole run and is closed at the end.
 */
export async function applyPostgresMigrations(url: string, dirs: string[], options: MigrationRunOptions = {}): Promise<{ applied: string[] }> {
  const migrations = readMigrations(dirs, 'postgres');
  const client = new pg.Client({
    ...clientConfig(url),
    statement_timeout: MIGRATION_STATEMENT_TIMEOUT_MS,
    lock_timeout: MIGRATION_LOCK_TIMEOUT_MS,
    query_timeout: MIGRATION_QUERY_TIMEOUT_MS,
    keepAlive: true,
  });
  // A connection lost mid-run would otherwise be an unhandled 'error' event; the query in flight
  // fails with it anyway.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new MigrationError(`could not connect to PostgreSQL to apply migrations: ${messageOf(withMessage(error))}`);
  }
  try {
    await takeLock(client, options);
    return await applyAll(client, migrations);
  } finally {
    // Ending the session also releases the advisory lock.
    await client.end().catch(() => {});
  }
}

/**
 * Takes the migration lock, asking again every LOCK_POLL_MS while another instance holds it
 * (never a blocking pg_advisory_lock: an instance stuck holding it must not hang every start
 * for good), and gives up after `lockWaitMs` naming the lock and, where visible, its holder.
 */
async function takeLock(client: pg.Client, { onWait, lockWaitMs = LOCK_WAIT_MS }: MigrationRunOptions): Promise<void> {
  const deadline = Date.now() + lockWaitMs;
  for (let waited = false; ; waited = true) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY.toString()]);
    if (rows[0].locked) return;
    if (!waited) onWait?.(`waiting for another instance's migrations (PostgreSQL advisory lock ${MIGRATION_LOCK_KEY})`);
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new MigrationError(
        `gave up after ${lockWaitMs / 1000} s waiting for the migration lock (PostgreSQL advisory lock ${MIGRATION_LOCK_KEY})` +
          `${await holderOf(client)}; another instance is applying migrations or is stuck doing so`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(LOCK_POLL_MS, left)));
  }
}

/** Who holds the migration lock, for the error: " held by server process N (application …)", or nothing. */
async function holderOf(client: pg.Client): Promise<string> {
  try {
    // A bigint advisory key is (classid, objid) = (high, low) 32 bits, with objsubid 1.
    const { rows } = await client.query<{ pid: number; application_name: string | null }>(
      `SELECT l.pid, a.application_name FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid`,
      [MIGRATION_LOCK_KEY.toString()],
    );
    if (rows.length === 0) return '';
    const [{ pid, application_name: app }] = rows;
    return ` held by server process ${pid}${app ? ` (application "${app}")` : ''}`;
  } catch {
    return '';
  }
}

async function applyAll(client: pg.Client, migrations: MigrationFile[]): Promise<{ applied: string[] }> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations');
  const recorded = new Map(rows.map((row) => [row.name, row]));

  // Both checks cover every file before any runs, as on SQLite: a changed migration, or one that
  // would end the runner's transaction, stops the run with nothing applied.
  for (const migration of migrations) assertUnchanged(migration, recorded.get(migration.name));
  const pending = migrations.filter((migration) => !recorded.has(migration.name));
  for (const migration of pending) assertNoTransactionControl(migration, 'postgres');

  const applied: string[] = [];
  for (const migration of pending) {
    await applyOne(client, migration);
    applied.push(migration.name);
  }
  return { applied };
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  await client.query('BEGIN');
  try {
    try {
      // No parameters: the simple query protocol runs a file of many statements in one call.
      await client.query(migration.sql);
    } catch (error) {
      throw new MigrationError(
        `migration ${migration.filePath} failed, nothing from it was applied: ${messageOf(error)}${lineOf(migration.sql, error)}`,
      );
    }
    // The backstop for whatever the scan cannot see: 'T' means still inside our BEGIN.
    if (client.getTransactionStatus() !== 'T') {
      throw new MigrationError(`migration ${migration.filePath} ended the transaction itself; remove BEGIN/COMMIT from it`);
    }
    await syncUserIds(client);
    await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * users.id is GENERATED BY DEFAULT AS IDENTITY, so a seed may give ids by hand (as on SQLite), but
 * the identity's sequence does not move past them: the next plain insert would take id 1 again
 * and fail. After each migration, in its transaction, the sequence moves to the largest id in
 * use (never back: an id handed out before, even of an account since deleted, is not reused).
 * Nothing to do before a migration has made the table.
 */
async function syncUserIds(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass('users') IS NOT NULL AS present");
  if (!rows[0].present) return;
  await client.query(`SELECT setval(seq, GREATEST(top, 1), top IS NOT NULL)
    FROM (SELECT pg_get_serial_sequence('users', 'id')::regclass AS seq) s,
      LATERAL (SELECT GREATEST((SELECT max(id) FROM users), pg_sequence_last_value(seq)) AS top) t
    WHERE seq IS NOT NULL`);
}

/** PostgreSQL reports where in the file a statement failed (a character offset): say which line. */
function lineOf(sql: string, error: unknown): string {
  const position = Number((error as { position?: string }).position);
  if (!Number.isInteger(position) || position < 1) return '';
  return ` (line ${sql.slice(0, position - 1).split('\n').length})`;
}
