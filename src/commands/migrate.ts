// `npm run migrate`: applies pending migrations to DATABASE_URL (SQLite or PostgreSQL) and says
// what it did.
import fs from 'node:fs';
import { openDatabase } from '../storage/sqlite/connection.ts';
import { parseDatabaseUrl } from '../storage/database-url.ts';
import type { DatabaseLocation } from '../storage/database-url.ts';
import { applyMigrations } from '../storage/migrations.ts';

async function migrate(): Promise<void> {
  // Variables already set in the environment win over .env (Node's loadEnvFile never overrides).
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  const location = parseDatabaseUrl(process.env.DATABASE_URL || 'sqlite:data/app.db');
  const dirs = (process.env.MIGRATIONS_DIR || 'migrations').split(':').filter((dir) => dir !== '');

  const { applied } = await applyTo(location, dirs);
  if (applied.length === 0) process.stdout.write('no pending migrations\n');
  for (const name of applied) process.stdout.write(`applied ${name}\n`);
}

async function applyTo(location: DatabaseLocation, dirs: string[]): Promise<{ applied: string[] }> {
  if (location.kind === 'postgres') {
    // Loaded only when used, like the app does: a SQLite setup never needs pg.
    const { applyPostgresMigrations } = await import('../storage/postgres/migrations.ts');
    return applyPostgresMigrations(location.url, dirs, { onWait: (message) => process.stderr.write(`${message}\n`) });
  }
  const db = openDatabase(location.path);
  try {
    return applyMigrations(db, dirs);
  } finally {
    db.close();
  }
}

migrate().catch((error: unknown) => {
  // One line an operator can act on; a stack trace would bury it.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`migrate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = 1;
});
