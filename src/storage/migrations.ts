import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from './sqlite/connection.ts';
import { findTransactionStatements } from './transaction-statements.ts';
import type { SqlDialect } from './transaction-statements.ts';

export class MigrationError extends Error {
  name = 'MigrationError';
}

/** `name` is what schema_migrations records: always the plain `NNNN_name.sql`, whichever file ran. */
export type MigrationFile = { name: string; filePath: string; sql: string; checksum: string };

const MIGRATION_NAME = /^\d{4}_[A-Za-z0-9][A-Za-z0-9_.-]*\.sql$/;
// `NNNN_name.postgres.sql` / `NNNN_name.sqlite.sql` replace `NNNN_name.sql` on that engine only.
const ENGINE_SUFFIX = /\.(postgres|sqlite)\.sql$/;

/**
 * Applies every pending `NNNN_name.sql` from `dirs`, in file-name order across all folders.
 * Migrations are recorded by name only, so an admin may move a seed file between folders.
 */
export function applyMigrations(db: Database, dirs: string[]): { applied: string[] } {
  const migrations = readMigrations(dirs, 'sqlite');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
  )`);

  const findRecorded = db.prepare<[string], { checksum: string }>(
    'SELECT checksum FROM schema_migrations WHERE name = ?',
  );
  const record = db.prepare('INSERT INTO schema_migrations (name, checksum) VALUES (?, ?)');

  // Refuse a changed migration before applying anything newer on top of it.
  for (const migration of migrations) {
    assertUnchanged(migration, findRecorded.get(migration.name));
  }
  // A migration that ends the runner's transaction would have committed part of itself before
  // anything could notice, so every pending file is scanned before any of them runs.
  for (const migration of migrations) {
    if (!findRecorded.get(migration.name)) assertNoTransactionControl(migration, 'sqlite');
  }

  const applied: string[] = [];
  for (const migration of migrations) {
    // The check runs again inside BEGIN IMMEDIATE: of two processes starting together, the
    // second waits for the write lock, then sees the row the first one recorded and skips.
    const applyOnce = db.transaction(() => {
      const recorded = findRecorded.get(migration.name);
      if (recorded) {
        assertUnchanged(migration, recorded);
        return false;
      }
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(
          `migration ${migration.filePath} failed, nothing from it was applied: ${messageOf(error)}`,
        );
      }
      // The backstop for whatever the scan cannot see.
      if (!db.inTransaction) {
        throw new MigrationError(
          `migration ${migration.filePath} ended the transaction itself; remove BEGIN/COMMIT from it`,
        );
      }
      record.run(migration.name, migration.checksum);
      return true;
    });
    if (applyOnce.immediate()) applied.push(migration.name);
  }
  return { applied };
}

export function assertUnchanged(migration: MigrationFile, recorded: { checksum: string } | undefined): void {
  if (recorded && recorded.checksum !== migration.checksum) {
    throw new MigrationError(
      `migration ${migration.name}${fileIfOther(migration)} was changed after it was applied (checksum mismatch); ` +
        'restore it and add a new migration instead',
    );
  }
}

/** Names an engine's own file (`0001_init.postgres.sql`) where the recorded name differs. */
function fileIfOther(migration: MigrationFile): string {
  const fileName = path.basename(migration.filePath);
  return fileName === migration.name ? '' : ` (${fileName})`;
}

export function assertNoTransactionControl(migration: MigrationFile, dialect: SqlDialect): void {
  const [statement] = findTransactionStatements(migration.sql, dialect);
  if (statement) {
    throw new MigrationError(
      `migration ${migration.filePath} has a ${statement.keyword} statement (line ${statement.line}); ` +
        'the runner applies each migration in its own transaction, so remove BEGIN/COMMIT/END/ROLLBACK ' +
        'from it; no migration was applied',
    );
  }
}

/**
 * The migrations for `engine`, sorted by name. A file for the other engine is skipped; one for
 * this engine stands in for the plain file of the same name (in any folder), and is recorded
 * under that plain name with its own checksum: existing databases keep what they recorded.
 */
export function readMigrations(dirs: string[], engine: SqlDialect): MigrationFile[] {
  const plain = new Map<string, MigrationFile>();
  const specific = new Map<string, MigrationFile>();
  const badNames: string[] = [];
  for (const dir of dirs) {
    for (const filePath of listSqlFiles(dir)) {
      const fileName = path.basename(filePath);
      if (!MIGRATION_NAME.test(fileName)) {
        badNames.push(filePath);
        continue;
      }
      const fileEngine = ENGINE_SUFFIX.exec(fileName)?.[1];
      if (fileEngine !== undefined && fileEngine !== engine) continue;
      const byName = fileEngine === undefined ? plain : specific;
      const name = fileName.replace(ENGINE_SUFFIX, '.sql');
      const other = byName.get(name);
      if (other) {
        throw new MigrationError(
          `migration ${fileName} exists in two folders (${other.filePath} and ${filePath}); keep one`,
        );
      }
      const sql = fs.readFileSync(filePath, 'utf8');
      byName.set(name, { name, filePath, sql, checksum: checksumOf(sql) });
    }
  }
  if (badNames.length > 0) {
    throw new MigrationError(
      `migration files must be named NNNN_name.sql (four digits, underscore, name): ${badNames.join(', ')}`,
    );
  }
  const chosen = new Map([...plain, ...specific]);
  return [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function listSqlFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : messageOf(error);
    throw new MigrationError(`migrations folder ${dir} ${why} (check MIGRATIONS_DIR)`);
  }
  return entries
    .filter((entry) => entry.name.toLowerCase().endsWith('.sql') && !entry.isDirectory())
    .map((entry) => path.join(dir, entry.name));
}

// Line endings are normalised so a checkout with CRLF (git autocrlf) does not look like an edit.
function checksumOf(sql: string): string {
  return crypto.createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
