import path from 'node:path';
import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { runMigrateCommand } from '../../src/commands/migrate.ts';
import { useTempDir, writeFiles } from '../helpers/temp-dir.ts';
import { withoutBackendsLine } from '../helpers/command-output.ts';
import { runCommand, spawnCommand } from '../helpers/run-command.ts';
import type { Outcome } from '../helpers/run-command.ts';

const COMMAND = path.resolve(import.meta.dirname, '../../src/commands/migrate.ts');
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the command in this process, with only what the test sets: no DATABASE_URL from the surrounding shell may leak in. */
const migrate = async (env: Record<string, string>, cwd = REPO_ROOT): Promise<Outcome> =>
  withoutBackendsLine(await runCommand(runMigrateCommand, [], env, cwd));

describe('npm run migrate (src/commands/migrate.ts)', () => {
  const tempDir = useTempDir();

  it('prints each migration it applied, then "no pending migrations", exiting 0 both times', async () => {
    const dbFile = path.join(tempDir(), 'data', 'app.db');
    const env = { DATABASE_URL: `sqlite:${dbFile}`, MIGRATIONS_DIR: path.join(REPO_ROOT, 'migrations') };
    const first = await migrate(env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('applied 0001_init.sql\napplied 0002_hardening.sql\napplied 0003_account_recovery.sql\napplied 0004_remembered_browsers_epoch.sql\napplied 0005_password_hash_shape.sql\napplied 0006_passkeys.sql\n');
    expect(await migrate(env)).toEqual({ code: 0, stdout: 'no pending migrations\n', stderr: '' });
  });

  it('reads several folders from MIGRATIONS_DIR separated by ":"', async () => {
    const schema = writeFiles(path.join(tempDir(), 'schema'), { '0001_notes.sql': 'CREATE TABLE notes (body TEXT);' });
    const seeds = writeFiles(path.join(tempDir(), 'seeds'), { '0002_seed.sql': "INSERT INTO notes VALUES ('x');" });
    const outcome = await migrate({ DATABASE_URL: `sqlite:${tempDir()}/app.db`, MIGRATIONS_DIR: `${seeds}:${schema}` });
    expect(outcome).toEqual({ code: 0, stdout: 'applied 0001_notes.sql\napplied 0002_seed.sql\n', stderr: '' });
  });

  it('defaults to sqlite:data/app.db and ./migrations, and reads .env from the working directory', async () => {
    writeFiles(path.join(tempDir(), 'migrations'), { '0001_default.sql': 'CREATE TABLE t (x INTEGER);' });
    const defaults = await migrate({}, tempDir());
    expect(defaults).toMatchObject({ code: 0, stdout: 'applied 0001_default.sql\n' });
    const db = new BetterSqlite3(path.join(tempDir(), 'data', 'app.db'), { fileMustExist: true });
    expect(db.prepare('SELECT name FROM schema_migrations').pluck().all()).toEqual(['0001_default.sql']);
    db.close();

    writeFiles(path.join(tempDir(), 'env-migrations'), { '0001_from_env.sql': 'CREATE TABLE t (x INTEGER);' });
    writeFiles(tempDir(), { '.env': 'DATABASE_URL=sqlite:from-env.db\nMIGRATIONS_DIR=env-migrations\n' });
    expect(await migrate({}, tempDir())).toMatchObject({ code: 0, stdout: 'applied 0001_from_env.sql\n' });
    // A variable set in the environment wins over .env.
    const overridden = await migrate({ DATABASE_URL: 'sqlite:overridden.db' }, tempDir());
    expect(overridden).toMatchObject({ code: 0, stdout: 'applied 0001_from_env.sql\n' });
  });

  it('fails with one line on stderr and exit 1 when a migration fails, naming the file', async () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), { '0001_broken.sql': 'CREATE TABLE (;' });
    const outcome = await migrate({ DATABASE_URL: `sqlite:${tempDir()}/app.db`, MIGRATIONS_DIR: dir });
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(/^migrate: migration .*0001_broken\.sql failed.*syntax error\n$/);
  });

  it('fails in one line without printing the password when PostgreSQL cannot be reached', async () => {
    // Nothing listens on port 1: refused at once. (test/storage/postgres has the runs against a server.)
    const outcome = await migrate({ DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/app' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^migrate: could not connect to PostgreSQL to apply migrations: .*ECONNREFUSED.*\n$/);
    expect(outcome.stderr).not.toContain('hunter2');
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });

  // Also the smoke test of the command as `npm run migrate` starts it: two real Node processes.
  it('applies each migration exactly once when two processes start together', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 20; i++) {
      const name = `${String(i).padStart(4, '0')}_step.sql`;
      files[name] = i === 1 ? 'CREATE TABLE steps (name TEXT NOT NULL UNIQUE);' : `INSERT INTO steps VALUES ('${name}');`;
    }
    const dir = writeFiles(path.join(tempDir(), 'migrations'), files);
    const env = { DATABASE_URL: `sqlite:${tempDir()}/app.db`, MIGRATIONS_DIR: dir };
    const [a, b] = await Promise.all([spawnCommand(COMMAND, [], env, REPO_ROOT), spawnCommand(COMMAND, [], env, REPO_ROOT)]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const applied = `${a.stdout}${b.stdout}`.split('\n').filter((line) => line.startsWith('applied ')).sort();
    expect(applied).toEqual(Object.keys(files).sort().map((name) => `applied ${name}`));
  });
});
