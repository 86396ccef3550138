// `npm run migrate`: applies pending migrations to DATABASE_URL (SQLite or PostgreSQL) and says
// what it did.
import { fromCwd, oneLine, runWhenMain, withDotEnv } from '../command-io.ts';
import type { CommandIo } from '../command-io.ts';
import { openDatabase, parseDatabaseUrl } from './connection.ts';
import type { DatabaseLocation } from './connection.ts';
import { applyMigrations } from './migrations.ts';

/** `npm run migrate`; returns the exit code. */
export async function runMigrateCommand(io: CommandIo): Promise<number> {
  try {
    const env = withDotEnv(io);
    const location = parseDatabaseUrl(env.DATABASE_URL || 'sqlite:data/app.db');
    const dirs = (env.MIGRATIONS_DIR || 'migrations')
      .split(':')
      .filter((dir) => dir !== '')
      .map((dir) => fromCwd(io, dir));
    const { applied } = await applyTo(location.kind === 'sqlite' ? { kind: 'sqlite', path: fromCwd(io, location.path) } : location, dirs, io);
    if (applied.length === 0) io.stdout.write('no pending migrations\n');
    for (const name of applied) io.stdout.write(`applied ${name}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(oneLine('migrate', error));
    return 1;
  }
}

async function applyTo(location: DatabaseLocation, dirs: string[], io: CommandIo): Promise<{ applied: string[] }> {
  if (location.kind === 'postgres') {
    // Loaded only when used, like the app does: a SQLite setup never needs pg.
    const { applyPostgresMigrations } = await import('./postgres/migrations.ts');
    return applyPostgresMigrations(location.url, dirs, { onWait: (message) => io.stderr.write(`${message}\n`) });
  }
  const db = openDatabase(location.path);
  try {
    return applyMigrations(db, dirs);
  } finally {
    db.close();
  }
}

runWhenMain(import.meta.url, runMigrateCommand);
