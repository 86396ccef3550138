// Every admin command that reads a backend says first which ones, read from the same configuration
// as the server (the environment, then .env), never with a password: an admin sees at once that a
// command reads another database, or not the Redis the server keeps its sessions in.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../src/commands/audit.ts';
import type { CommandIo } from '../../src/commands/command.ts';
import { runMigrateCommand } from '../../src/commands/migrate.ts';
import { runSessionsCommand } from '../../src/commands/sessions.ts';
import { runLimitsCommand } from '../../src/commands/limits.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import { useTempDir, writeFiles } from '../helpers/temp-dir.ts';
import { runCommand, spawnCommand } from '../helpers/run-command.ts';
import type { Outcome } from '../helpers/run-command.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(REPO_ROOT, 'migrations');
const COMMANDS: Record<string, (io: CommandIo) => Promise<number>> = { migrate: runMigrateCommand, audit: runAuditCommand, sessions: runSessionsCommand, limits: runLimitsCommand };

/** Runs `npm run <command>` in this process as an admin would in `cwd`, with only the environment given; the output as it is. */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  return runCommand(COMMANDS[command], args, { MIGRATIONS_DIR: MIGRATIONS, ...env }, cwd);
}

const firstLine = (text: string) => text.split('\n')[0];

function migratedDatabase(file: string): void {
  const db = openDatabase(file);
  applyMigrations(db, [MIGRATIONS]);
  db.close();
}

describe('the line each admin command prints first', () => {
  const tempDir = useTempDir();

  it('names the SQLite file (absolute) that DATABASE_URL in .env points to, for migrate, audit, sessions and limits alike', async () => {
    const dir = writeFiles(tempDir(), { '.env': 'DATABASE_URL=sqlite:from-env.db\n' });
    const expected = `database: SQLite ${path.join(dir, 'from-env.db')}`;

    // migrate as a Node process (`npm run migrate` in that folder), the others in this one
    const migrate = await spawnCommand(path.join(REPO_ROOT, 'src/commands/migrate.ts'), [], { MIGRATIONS_DIR: MIGRATIONS }, dir);
    expect(migrate.code).toBe(0);
    expect(firstLine(migrate.stdout)).toBe(expected);
    expect(migrate.stdout.split('\n')[1]).toBe('applied 0001_init.sql');

    const audit = await run('audit', ['--since', '1h'], dir);
    expect(audit).toMatchObject({ code: 0, stderr: '' });
    expect(firstLine(audit.stdout)).toBe(expected);

    const sessions = await run('sessions', ['--list', 'nobody@example.com'], dir);
    expect(sessions.code).toBe(1);
    expect(firstLine(sessions.stdout)).toBe(`${expected}; sessions and counters: in the database`);

    const limits = await run('limits', ['--show', 'nobody@example.com'], dir);
    expect(limits.code).toBe(1);
    expect(firstLine(limits.stdout)).toBe(`${expected}; sessions and counters: in the database`);
  });

  it('reads .env in-process without touching this process’s environment (tests share their workers)', async () => {
    const dir = writeFiles(tempDir(), { '.env': 'DATABASE_URL=sqlite:from-env.db\nREDIS_KEY_PREFIX=from-env:\n' });
    const before = { DATABASE_URL: process.env.DATABASE_URL, REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX };
    expect((await run('migrate', [], dir)).code).toBe(0);
    expect({ DATABASE_URL: process.env.DATABASE_URL, REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX }).toEqual(before);
  });

  it('names the demo database when nothing is configured, as the server would use it', async () => {
    migratedDatabase(path.join(tempDir(), 'data/app.db'));
    const audit = await run('audit', ['--since', '1h'], tempDir());
    expect(audit.code).toBe(0);
    expect(firstLine(audit.stdout)).toBe(`database: SQLite ${path.join(tempDir(), 'data/app.db')}`);
  });

  it('names the Redis that .env sets for sessions (host, port, database, key prefix), never its password', async () => {
    migratedDatabase(path.join(tempDir(), 'app.db'));
    // Nothing listens on port 1: the command names it, then says it cannot reach it.
    writeFiles(tempDir(), { '.env': 'DATABASE_URL=sqlite:app.db\nREDIS_URL=redis://:s3cret-pass@127.0.0.1:1/3\nREDIS_KEY_PREFIX=shop:\n' });
    const sessions = await run('sessions', ['--list', 'alice@example.com'], tempDir());
    expect(sessions.code).toBe(1);
    expect(firstLine(sessions.stdout)).toBe(
      `database: SQLite ${path.join(tempDir(), 'app.db')}; sessions and counters: Redis 127.0.0.1:1/3, key prefix "shop:"`,
    );
    expect(sessions.stderr).toMatch(/^sessions: could not reach Redis: /);
    expect(`${sessions.stdout}${sessions.stderr}`).not.toContain('s3cret-pass');
    // the counters are where the sessions are: limits reads the same Redis
    const limits = await run('limits', ['--show', 'alice@example.com'], tempDir());
    expect(limits.code).toBe(1);
    expect(firstLine(limits.stdout)).toBe(firstLine(sessions.stdout));
    expect(`${limits.stdout}${limits.stderr}`).not.toContain('s3cret-pass');
  });

  it('names the PostgreSQL database and server, never the password, even when it cannot be reached', async () => {
    const audit = await run('audit', ['--since', '1h'], tempDir(), { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/shop' });
    expect(audit.code).toBe(1);
    expect(audit.stdout).toBe('database: PostgreSQL shop on 127.0.0.1:1\n');
    expect(audit.stderr).not.toContain('hunter2');
  });

  it('goes to stderr with --json, so that stdout holds only JSON lines', async () => {
    migratedDatabase(path.join(tempDir(), 'data/app.db'));
    const audit = await run('audit', ['--since', '1h', '--json'], tempDir());
    expect(audit).toEqual({ code: 0, stdout: '', stderr: `database: SQLite ${path.join(tempDir(), 'data/app.db')}\n` });
  });
});
