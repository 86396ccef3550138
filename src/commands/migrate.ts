// `npm run migrate`: applies pending migrations to the database the app uses (DATABASE_URL,
// MIGRATIONS_DIR, as the server reads them) and says what it did. Exit 0: done; 1: failed.
import { migrateForCommand, readConfig, runCommand, runWhenMain } from './command.ts';
import type { CommandIo } from './command.ts';

async function migrate(io: CommandIo): Promise<void> {
  const applied = await migrateForCommand(readConfig(io), io);
  if (applied.length === 0) io.stdout.write('no pending migrations\n');
  for (const name of applied) io.stdout.write(`applied ${name}\n`);
}

/** `npm run migrate`; returns the exit code. */
export const runMigrateCommand = (io: CommandIo): Promise<number> => runCommand('migrate', migrate, io);

runWhenMain(import.meta.url, runMigrateCommand);
