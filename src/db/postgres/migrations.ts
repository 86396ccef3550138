// The migration runner on PostgreSQL: the same files, names, checksums and refusals as on SQLite
// (src/db/migrations.ts), with an advisory lock in place of SQLite's write lock.
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

/**
 * Applies every pending migration from `dirs` to the database at `url`, each in its own
 * transaction, on one dedicated connection (no statement timeout: a large seed or index may take
 * a while), which holds the lock for the whole run and is closed at the end.
 */
export async function applyPostgresMigrations(url: string, dirs: string[]): Promise<{ applied: string[] }> {
  const migrations = readMigrations(dirs, 'postgres');
  const client = new pg.Client(clientConfig(url));
  // A connection lost mid-run would otherwise be an unhandled 'error' event; the query in flight
  // fails with it anyway.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new MigrationError(`could not connect to PostgreSQL to apply migrations: ${messageOf(withMessage(error))}`);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    return await applyAll(client, migrations);
  } finally {
    // Ending the session also releases the advisory lock.
    await client.end().catch(() => {});
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
    await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** PostgreSQL reports where in the file a statement failed (a character offset): say which line. */
function lineOf(sql: string, error: unknown): string {
  const position = Number((error as { position?: string }).position);
  if (!Number.isInteger(position) || position < 1) return '';
  return ` (line ${sql.slice(0, position - 1).split('\n').length})`;
}
