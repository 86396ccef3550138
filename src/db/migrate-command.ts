// `npm run migrate`: applies pending migrations to DATABASE_URL and says what it did.
import fs from 'node:fs';
import { openDatabase, parseDatabaseUrl } from './connection.ts';
import { applyMigrations } from './migrations.ts';

function migrate(): void {
  // Variables already set in the environment win over .env (Node's loadEnvFile never overrides).
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  const location = parseDatabaseUrl(process.env.DATABASE_URL || 'sqlite:data/app.db');
  const dirs = (process.env.MIGRATIONS_DIR || 'migrations').split(':').filter((dir) => dir !== '');

  const db = openDatabase(location.path);
  try {
    const { applied } = applyMigrations(db, dirs);
    if (applied.length === 0) process.stdout.write('no pending migrations\n');
    for (const name of applied) process.stdout.write(`applied ${name}\n`);
  } finally {
    db.close();
  }
}

try {
  migrate();
} catch (error) {
  // One line an operator can act on; a stack trace would bury it.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`migrate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = 1;
}
