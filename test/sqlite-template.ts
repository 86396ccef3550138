// Vitest global setup (vitest.config.ts): one SQLite file migrated with the repository's
// migrations, which each test app's fresh database is copied from (test/helpers/test-backend.ts)
// instead of an empty file that every app start migrated again (~10 ms of CPU an app). Workers
// inherit its path; it lives in the run's TMPDIR (test/temp-root.ts, set up before this) and is
// removed when the run ends. Tests of migrating at start ask backendEnv for `{ migrated: false }`.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../src/storage/migrations.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

export default function setup(): () => void {
  const file = join(tmpdir(), 'sqlite-template.db');
  const db = openDatabase(file);
  try {
    applyMigrations(db, [MIGRATIONS]);
  } finally {
    db.close();
  }
  process.env.TEST_SQLITE_TEMPLATE = file;
  return () => {
    delete process.env.TEST_SQLITE_TEMPLATE;
    rmSync(file, { force: true });
  };
}
