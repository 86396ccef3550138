// The migration runner and the project's schema on PostgreSQL.
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MigrationError, readMigrations } from '../../../src/storage/migrations.ts';
import pg from 'pg';
import { createPostgresAccountStore } from '../../../src/storage/postgres/account-store.ts';
import { createPostgresAuditTrail } from '../../../src/storage/postgres/audit-log.ts';
import { applyPostgresMigrations, MIGRATION_LOCK_KEY } from '../../../src/storage/postgres/migrations.ts';
import { createPool } from '../../../src/storage/postgres/pool.ts';
import { useTempDir, writeFiles } from '../../helpers/temp-dir.ts';
import { asAdmin, HASH, REPO_MIGRATIONS, sql, useFreshDatabases } from './fresh-database.ts';
import { nodeTs } from '../../helpers/node-ts.ts';
import { withoutBackendsLine } from '../../helpers/command-output.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const recorded = (url: string) => sql<{ name: string; checksum: string }>(url, 'SELECT name, checksum FROM schema_migrations ORDER BY name');

/** The admin's read of the audit log, on a pool of its own. */
async function readAuditTrail(url: string, since: string, account?: string) {
  const pool = createPool(url, { max: 1 });
  try {
    return await createPostgresAuditTrail(pool).eventsSince(since, account);
  } finally {
    await pool.end();
  }
}

describe('PostgreSQL migration runner', () => {
  const freshDatabase = useFreshDatabases();
  const tempDir = useTempDir();

  it('applies each migration once, recorded under its plain name with the checksum of the file that ran', async () => {
    const { url } = await freshDatabase();
    expect((await applyPostgresMigrations(url, [REPO_MIGRATIONS])).applied).toEqual(['0001_init.sql', '0002_hardening.sql', '0003_account_recovery.sql', '0004_remembered_browsers_epoch.sql', '0005_password_hash_shape.sql', '0006_passkeys.sql']);
    expect((await applyPostgresMigrations(url, [REPO_MIGRATIONS])).applied).toEqual([]);
    const postgresFile = fs.readFileSync(path.join(REPO_MIGRATIONS, '0001_init.postgres.sql'), 'utf8');
    expect((await recorded(url))[0]).toEqual({ name: '0001_init.sql', checksum: sha256(postgresFile) });
  });

  it('picks per engine: NAME.postgres.sql and NAME.sqlite.sql replace NAME.sql there, in any folder', () => {
    const shared = writeFiles(path.join(tempDir(), 'shared'), {
      '0001_a.sql': 'SELECT 1;',
      '0002_b.sql': 'SELECT 2;',
      '0003_c.sqlite.sql': 'SELECT 3;',
    });
    const site = writeFiles(path.join(tempDir(), 'site'), { '0002_b.postgres.sql': 'SELECT 22;' });
    const pick = (engine: 'sqlite' | 'postgres') => readMigrations([shared, site], engine).map((m) => [m.name, path.basename(m.filePath)]);
    expect(pick('postgres')).toEqual([['0001_a.sql', '0001_a.sql'], ['0002_b.sql', '0002_b.postgres.sql']]);
    expect(pick('sqlite')).toEqual([['0001_a.sql', '0001_a.sql'], ['0002_b.sql', '0002_b.sql'], ['0003_c.sql', '0003_c.sqlite.sql']]);
    writeFiles(site, { '0001_a.sql': 'SELECT 1;' });
    expect(() => readMigrations([shared, site], 'postgres')).toThrow(/0001_a\.sql exists in two folders/);
  });

  it('refuses a migration changed after it was applied, applying nothing newer', async () => {
    const { url } = await freshDatabase();
    const dir = writeFiles(path.join(tempDir(), 'm'), { '0001_notes.sql': 'CREATE TABLE notes (body text);' });
    await applyPostgresMigrations(url, [dir]);
    writeFiles(dir, { '0001_notes.sql': 'CREATE TABLE notes (body text NOT NULL);', '0002_more.sql': "INSERT INTO notes VALUES ('x');" });
    await expect(applyPostgresMigrations(url, [dir])).rejects.toThrow(/0001_notes\.sql was changed after it was applied/);
    expect(await sql(url, 'SELECT * FROM notes')).toEqual([]);
  });

  it('refuses a migration that ends the transaction (COMMIT, START TRANSACTION), before any file runs', async () => {
    const { url } = await freshDatabase();
    const dir = writeFiles(path.join(tempDir(), 'm'), {
      '0001_notes.sql': 'CREATE TABLE notes (body text);',
      '0002_commits.sql': "INSERT INTO notes VALUES ('a');\nCOMMIT;\nINSERT INTO notes VALUES ('b');",
    });
    const attempt = applyPostgresMigrations(url, [dir]);
    await expect(attempt).rejects.toThrow(MigrationError);
    await expect(attempt).rejects.toThrow(/0002_commits\.sql has a COMMIT statement \(line 2\)/);
    expect(await sql(url, "SELECT to_regclass('notes') AS t")).toEqual([{ t: null }]);
    writeFiles(dir, { '0002_commits.sql': "START TRANSACTION; INSERT INTO notes VALUES ('a');" });
    await expect(applyPostgresMigrations(url, [dir])).rejects.toThrow(/has a START TRANSACTION statement/);
  });

  it('rolls a failing migration back whole, naming the file and the line, and keeps the ones before it', async () => {
    const { url } = await freshDatabase();
    const dir = writeFiles(path.join(tempDir(), 'm'), {
      '0001_notes.sql': 'CREATE TABLE notes (body text);',
      '0002_broken.sql': "CREATE TABLE half_done (x int);\nINSERT INTO notes VALUES ('x');\nINSERT INTO missing_table VALUES (1);",
    });
    await expect(applyPostgresMigrations(url, [dir])).rejects.toThrow(/0002_broken\.sql failed, nothing from it was applied: relation "missing_table" does not exist \(line 3\)/);
    expect(await recorded(url)).toEqual([{ name: '0001_notes.sql', checksum: expect.any(String) }]);
    expect(await sql(url, "SELECT to_regclass('half_done') AS t, (SELECT count(*)::int FROM notes) AS notes")).toEqual([{ t: null, notes: 0 }]);
  });

  it('applies each migration exactly once when two instances start together on a fresh database', async () => {
    const { url } = await freshDatabase();
    const files: Record<string, string> = { '0001_steps.sql': 'CREATE TABLE steps (name text NOT NULL UNIQUE);' };
    for (let i = 2; i <= 12; i++) files[`${String(i).padStart(4, '0')}_step.sql`] = `INSERT INTO steps VALUES ('${i}');`;
    const dir = writeFiles(path.join(tempDir(), 'm'), files);
    const runs = await Promise.all([applyPostgresMigrations(url, [REPO_MIGRATIONS, dir]), applyPostgresMigrations(url, [REPO_MIGRATIONS, dir])]);
    const applied = runs.flatMap((run) => run.applied).sort();
    expect(applied).toEqual(Object.keys({ ...files, '0001_init.sql': '', '0002_hardening.sql': '', '0003_account_recovery.sql': '', '0004_remembered_browsers_epoch.sql': '', '0005_password_hash_shape.sql': '', '0006_passkeys.sql': '' }).sort());
    expect(await sql(url, 'SELECT count(*)::int AS n FROM steps')).toEqual([{ n: 11 }]);
  });

  it('waits for the migration lock held by another instance, calling onWait once, and gives up after the deadline naming the lock', async () => {
    const { url } = await freshDatabase();
    const holder = new pg.Client({ connectionString: url, application_name: 'other-instance' });
    await holder.connect();
    try {
      const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      const waits: string[] = [];
      const started = performance.now();
      const attempt = applyPostgresMigrations(url, [REPO_MIGRATIONS], { lockWaitMs: 700, onWait: (message) => waits.push(message) });
      await expect(attempt).rejects.toThrow(MigrationError);
      await expect(attempt).rejects.toThrow(
        new RegExp(`^gave up after 0\\.7 s waiting for the migration lock \\(PostgreSQL advisory lock ${MIGRATION_LOCK_KEY}\\) held by server process ${rows[0].pid} \\(application "other-instance"\\); another instance`),
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(690);
      expect(performance.now() - started).toBeLessThan(3000);
      expect(waits).toEqual([`waiting for another instance's migrations (PostgreSQL advisory lock ${MIGRATION_LOCK_KEY})`]);
      expect(await sql(url, "SELECT to_regclass('schema_migrations') AS t")).toEqual([{ t: null }]);

      // Released while it waits: it goes on and applies everything.
      waits.length = 0;
      const run = applyPostgresMigrations(url, [REPO_MIGRATIONS], { lockWaitMs: 10_000, onWait: (message) => waits.push(message) });
      await new Promise((resolve) => setTimeout(resolve, 600));
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      expect((await run).applied).toEqual(['0001_init.sql', '0002_hardening.sql', '0003_account_recovery.sql', '0004_remembered_browsers_epoch.sql', '0005_password_hash_shape.sql', '0006_passkeys.sql']);
      expect(waits).toHaveLength(1);
    } finally {
      await holder.end();
    }
  });

  it('moves the users id sequence past ids a seed gave by hand, in the same transaction, never back', async () => {
    const { url } = await freshDatabase();
    const seeds = writeFiles(path.join(tempDir(), 'seeds'), {
      '0100_explicit.sql': `INSERT INTO users (id, email, phone, password_hash) VALUES (1, 'first@example.com', '+15555550100', '${HASH}');\n`,
      '0101_plain.sql': `INSERT INTO users (email, phone, password_hash) VALUES ('second@example.com', '+15555550101', '${HASH}');\n`,
    });
    expect((await applyPostgresMigrations(url, [REPO_MIGRATIONS, seeds])).applied).toEqual(['0001_init.sql', '0002_hardening.sql', '0003_account_recovery.sql', '0004_remembered_browsers_epoch.sql', '0005_password_hash_shape.sql', '0006_passkeys.sql', '0100_explicit.sql', '0101_plain.sql']);
    expect(await sql(url, 'SELECT id, email FROM users ORDER BY id')).toEqual([
      { id: 1, email: 'first@example.com' },
      { id: 2, email: 'second@example.com' },
    ]);
    // Ids far ahead, then the account holding the largest deleted: the next id is still past it.
    writeFiles(seeds, { '0102_far.sql': `INSERT INTO users (id, email, phone, password_hash) VALUES (40, 'far@example.com', '+15555550140', '${HASH}');\n` });
    await applyPostgresMigrations(url, [REPO_MIGRATIONS, seeds]);
    await sql(url, 'DELETE FROM users WHERE id = 40');
    writeFiles(seeds, { '0103_noop.sql': 'SELECT 1;\n' });
    await applyPostgresMigrations(url, [REPO_MIGRATIONS, seeds]);
    const [third] = await sql<{ id: number }>(url, "INSERT INTO users (email, phone, password_hash) VALUES ('third@example.com', '+15555550103', $1) RETURNING id", [HASH]);
    expect(third.id).toBe(41);
    // An empty table starts at 1.
    const empty = (await freshDatabase()).url;
    await applyPostgresMigrations(empty, [REPO_MIGRATIONS]);
    const [only] = await sql<{ id: number }>(empty, "INSERT INTO users (email, phone, password_hash) VALUES ('a@example.com', '+15555550100', $1) RETURNING id", [HASH]);
    expect(only.id).toBe(1);
  });

  it('npm run migrate applies to a postgres DATABASE_URL, prints what it applied, and never prints the password', async () => {
    const { url } = await freshDatabase();
    const run = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, nodeTs('src/commands/migrate.ts'), { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env } }).then(
        ({ stdout, stderr }) => withoutBackendsLine({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => withoutBackendsLine({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    expect(await run({ DATABASE_URL: url })).toEqual({ code: 0, stdout: 'applied 0001_init.sql\napplied 0002_hardening.sql\napplied 0003_account_recovery.sql\napplied 0004_remembered_browsers_epoch.sql\napplied 0005_password_hash_shape.sql\napplied 0006_passkeys.sql\n', stderr: '' });
    expect(await run({ DATABASE_URL: url })).toMatchObject({ code: 0, stdout: 'no pending migrations\n' });

    const refused = await run({ DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/app' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^migrate: could not connect to PostgreSQL to apply migrations: .*ECONNREFUSED.*\n$/);
    expect(refused.stderr).not.toContain('hunter2');
  });
});

describe('the schema on PostgreSQL (migrations/*.postgres.sql)', () => {
  const freshDatabase = useFreshDatabases();
  const tempDir = useTempDir();
  const migrated = async () => {
    const { url } = await freshDatabase();
    await applyPostgresMigrations(url, [REPO_MIGRATIONS]);
    return url;
  };
  const insertUser = (url: string, email: string, phone: string, passwordHash = HASH) =>
    sql(url, 'INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', [email, phone, passwordHash]);

  it('takes the README seed unchanged through MIGRATIONS_DIR=migrations:seeds, filling every other column', async () => {
    const { url } = await freshDatabase();
    const seeds = writeFiles(path.join(tempDir(), 'seeds'), {
      '0100_alice.sql': `INSERT INTO users (email, phone, password_hash) VALUES ('alice@example.com', '+15555550100', '${HASH}');\n`,
    });
    expect((await applyPostgresMigrations(url, [REPO_MIGRATIONS, seeds])).applied).toContain('0100_alice.sql');
    const [alice] = await sql(url, 'SELECT * FROM users');
    expect(alice).toMatchObject({ id: 1, email: 'alice@example.com', phone: '+15555550100', password_hash: HASH, disabled: 0 });
    expect(alice.created_at).toBeInstanceOf(Date);
  });

  it('refuses each broken rule with its constraint name in the error', async () => {
    const url = await migrated();
    await insertUser(url, 'short@example.com', '+12345678');
    await insertUser(url, 'long@example.com', '+123456789012345');
    for (const [i, phone] of ['15555550100', '+1234567', '+1234567890123456', '+1555 555 0100', '+1555555010a', '+05555550100', '', '+'].entries()) {
      await expect(insertUser(url, `p${i}@example.com`, phone), phone).rejects.toThrow(/violates check constraint "phone_is_e164"/);
    }
    for (const [i, email] of ['', 'alice', '@example.com', 'alice@', 'a@b@c', 'alice @example.com', ' alice@example.com', 'a\tb@c'].entries()) {
      await expect(insertUser(url, email, `+1555555010${i}`), email).rejects.toThrow(/violates check constraint "email_looks_like_an_address"/);
    }
    await expect(insertUser(url, 'x@example.com', '+15555550100', 'correct horse')).rejects.toThrow(/password_hash_is_argon2id_phc/);
    await expect(sql(url, 'UPDATE users SET disabled = 2')).rejects.toThrow(/check constraint "disabled_is_0_or_1"/);
  });

  it('keeps one account per email whatever its letter case', async () => {
    const url = await migrated();
    await insertUser(url, 'alice@example.com', '+15555550100');
    await expect(insertUser(url, 'ALICE@Example.com', '+15555550101')).rejects.toThrow(/unique constraint "email_is_unique_ignoring_case"/);
  });

  it('folds ASCII letters only, like SQLite’s NOCASE, whatever the database’s collation', async () => {
    const url = await migrated();
    await insertUser(url, 'alice@example.com', '+15555550100');
    await expect(insertUser(url, 'ALICE@example.com', '+15555550101')).rejects.toThrow(/unique constraint "email_is_unique_ignoring_case"/);
    await insertUser(url, 'Émile@example.com', '+15555550102');
    await insertUser(url, 'émile@example.com', '+15555550103');
    await expect(insertUser(url, 'ÉMILE@EXAMPLE.COM', '+15555550104')).rejects.toThrow(/unique constraint "email_is_unique_ignoring_case"/);
    const pool = createPool(url, { max: 1 });
    try {
      const accounts = createPostgresAccountStore(pool);
      expect((await accounts.findByEmail('ÉMILE@Example.COM'))?.phone).toBe('+15555550102');
      expect((await accounts.findByEmail('émile@EXAMPLE.com'))?.phone).toBe('+15555550103');
      expect((await accounts.findByEmail('Alice@Example.com'))?.phone).toBe('+15555550100');
    } finally {
      await pool.end();
    }
    await sql(url, "INSERT INTO audit_log (event, user_id) SELECT 'code-ok', id FROM users WHERE email = 'émile@example.com'");
    expect((await readAuditTrail(url, '2000-01-01T00:00:00.000Z', 'éMILE@example.com'))?.map((row) => row.account)).toEqual(['émile@example.com']);
    expect(await readAuditTrail(url, '2000-01-01T00:00:00.000Z', 'emile@example.com')).toBeUndefined();
    // The lookups are served by the unique index (the same expression, the same collation).
    const plan = await asAdmin(async (client) => {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>('EXPLAIN SELECT id FROM users WHERE lower(email COLLATE "C") = lower($1 COLLATE "C")', ['x']);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    }, url);
    expect(plan).toMatch(/email_is_unique_ignoring_case/);
  });

  it('ends and tombstones an account’s sessions when it is disabled or deleted, however that is done', async () => {
    const url = await migrated();
    await insertUser(url, 'a@example.com', '+15555550100');
    await insertUser(url, 'b@example.com', '+15555550101');
    await sql(url, "INSERT INTO sessions (sid, data, expires_at, user_id) VALUES ('a1', '{}', 1e13, 1), ('a2', '{}', 1e13, 1), ('b1', '{}', 1e13, 2)");
    await sql(url, 'UPDATE users SET disabled = 1 WHERE id = 1');
    expect(await sql(url, 'SELECT sid FROM sessions')).toEqual([{ sid: 'b1' }]);
    expect(await sql(url, 'SELECT sid FROM ended_sessions ORDER BY sid')).toEqual([{ sid: 'a1' }, { sid: 'a2' }]);
    await sql(url, 'DELETE FROM users WHERE id = 2');
    expect(await sql(url, 'SELECT sid FROM sessions')).toEqual([]);
    expect(await sql(url, "SELECT ended_at > 0 AS stamped FROM ended_sessions WHERE sid = 'b1'")).toEqual([{ stamped: true }]);
  });
});
