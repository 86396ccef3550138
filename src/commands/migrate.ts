// `npm run migrate`: applies pending migrations to the database the app uses (DATABASE_URL,
// MIGRATIONS_DIR, as the server reads them) and says what it did. Exit 0: done; 1: failed.
import { migrateForCommand, readConfig, runCommand } from './command.ts';

async function migrate(): Promise<void> {
  const applied = await migrateForCommand(readConfig());
  if (applied.length === 0) process.stdout.write('no pending migrations\n');
  for (const name of applied) process.stdout.write(`applied ${name}\n`);
}

runCommand('migrate', migrate);
