// DATABASE_URL=postgres://… for the admin's commands: parsing it, and `npm run audit` on PostgreSQL.
import path from 'node:path';
import { createPostgresAuditTrail } from '../../../src/storage/postgres/audit-log.ts';
import { createPool } from '../../../src/storage/postgres/pool.ts';
import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/storage/database-url.ts';
import { applyPostgresMigrations } from '../../../src/storage/postgres/migrations.ts';
import { HASH, REPO_MIGRATIONS, sql, useFreshDatabases } from './fresh-database.ts';
import { runAuditCommand } from '../../../src/commands/audit.ts';
import { withoutBackendsLine } from '../../helpers/command-output.ts';
import { runCommand } from '../../helpers/run-command.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const MINUTE = 60_000;

/** The admin's read of the audit log, on a pool of its own. */
async function readAuditTrail(url: string, since: string, account?: string) {
  const pool = createPool(url, { max: 1 });
  try {
    return await createPostgresAuditTrail(pool).eventsSince(since, account);
  } finally {
    await pool.end();
  }
}

/** The command in this process (its spawned smoke test is in test/commands/audit.test.ts). */
const audit = async (args: string[], env: Record<string, string>) => withoutBackendsLine(await runCommand(runAuditCommand, args, env, REPO_ROOT));

describe('parseDatabaseUrl with PostgreSQL', () => {
  it('accepts postgres:// and postgresql:// URLs, giving the URL as written to pg', () => {
    for (const url of [
      'postgres://app:secret@127.0.0.1:5432/app',
      'postgresql://app@db.internal/app',
      'postgres://app:p%40ss%3Aword@[::1]:5433/app?sslmode=require',
    ]) {
      expect(parseDatabaseUrl(` ${url} `)).toEqual({ kind: 'postgres', url });
    }
  });

  it('refuses a URL it cannot use, naming the part that is wrong and never echoing the password', () => {
    const cases: Array<[string, RegExp]> = [
      ['postgres:app:hunter2@db/app', /two slashes/],
      ['postgres://app:hunter2@/app', /not a valid URL|names no host/],
      ['postgres://:hunter2@db/app', /names no user/],
      ['postgres://app:hunter2@db', /must end with \/DB/],
      ['postgres://app:hunter2@db/', /must end with \/DB/],
      ['postgres://app:hunter2@db/a/b', /must end with \/DB/],
      ['postgres://app:hunter2@db:99999/app', /not a valid URL/],
      ['postgres://app:hunter2%zz@db/app', /broken %-escape/],
    ];
    for (const [url, reason] of cases) {
      const attempt = () => parseDatabaseUrl(url);
      expect(attempt, url).toThrow(/^DATABASE_URL: /);
      expect(attempt, url).toThrow(reason);
      expect(attempt, url).not.toThrow(/hunter2/);
    }
  });

  it('names both engines when the scheme is unknown', () => {
    expect(() => parseDatabaseUrl('mysql://app:hunter2@db/app')).toThrow(/^DATABASE_URL: the scheme "mysql:" is not supported; use sqlite:PATH.*postgres:\/\//);
  });
});

describe('npm run audit on PostgreSQL', () => {
  const freshDatabase = useFreshDatabases();

  it('prints the window’s events for one account (any letter case), as table or JSON lines', async () => {
    const { url } = await freshDatabase();
    await applyPostgresMigrations(url, [REPO_MIGRATIONS]);
    await sql(url, 'INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3), ($4, $5, $3)', ['alice@example.com', '+15555550100', HASH, 'bob@example.com', '+15555550199']);
    const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    await sql(
      url,
      `INSERT INTO audit_log (at, event, user_id, ip, user_agent, detail) VALUES
        ($1, 'code-ok', 1, '192.0.2.10', 'Firefox', NULL), ($2, 'password-ok', 1, '192.0.2.10', 'too old', NULL),
        ($3, 'code-failed', 2, '2001:db8::1', 'curl/8.0', 'wrong code'), ($4, 'signed-out', 1, '192.0.2.10', 'Firefox', NULL)`,
      [iso(10 * MINUTE), iso(120 * MINUTE), iso(40 * MINUTE), iso(MINUTE)],
    );
    const table = await audit(['--since', '1h', '--account', 'ALICE@Example.com'], { DATABASE_URL: url });
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout.trimEnd().split('\n').slice(1, -1).map((line) => line.split(/ {2,}/).slice(1, 3))).toEqual([
      ['code-ok', 'alice@example.com'],
      ['signed-out', 'alice@example.com'],
    ]);
    const json = await audit(['--since', '1h', '--json'], { DATABASE_URL: url });
    expect(json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual([
      { id: 3, at: expect.stringMatching(/Z$/), event: 'code-failed', user_id: 2, account: 'bob@example.com', ip: '2001:db8::1', user_agent: 'curl/8.0', detail: 'wrong code' },
      expect.objectContaining({ event: 'code-ok' }),
      expect.objectContaining({ event: 'signed-out' }),
    ]);
    expect(await audit(['--since', '1h', '--account', 'nobody@example.com'], { DATABASE_URL: url })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'audit: no account has the email nobody@example.com; nothing to show\n',
    });
  });

  it('reads the same rows in process (what the command prints), and names an unknown account', async () => {
    const { url } = await freshDatabase();
    await applyPostgresMigrations(url, [REPO_MIGRATIONS]);
    await sql(url, 'INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', ['alice@example.com', '+15555550100', HASH]);
    await sql(url, "INSERT INTO audit_log (at, event, user_id, ip) VALUES ($1, 'code-ok', 1, '192.0.2.10'), ($2, 'signed-out', NULL, '192.0.2.11')", [
      new Date(Date.now() - MINUTE).toISOString(),
      new Date().toISOString(),
    ]);
    const since = new Date(Date.now() - 10 * MINUTE).toISOString();
    expect((await readAuditTrail(url, since))?.map((row) => [row.event, row.account])).toEqual([
      ['code-ok', 'alice@example.com'],
      ['signed-out', null],
    ]);
    expect((await readAuditTrail(url, since, 'ALICE@example.com'))?.map((row) => row.event)).toEqual(['code-ok']);
    expect(await readAuditTrail(url, since, 'nobody@example.com')).toBeUndefined();
    const bare = (await freshDatabase()).url;
    await expect(readAuditTrail(bare, since)).rejects.toMatchObject({ code: '42P01' });
    await expect(readAuditTrail('postgres://app:hunter2@127.0.0.1:1/app', since)).rejects.toThrow(/^database unavailable: (?!.*hunter2)/);
  });

  it('says when the schema is missing or the server cannot be reached, in one line without the password', async () => {
    const { url } = await freshDatabase();
    const bare = await audit(['--since', '1h'], { DATABASE_URL: url });
    expect(bare).toMatchObject({ code: 1, stdout: '' });
    expect(bare.stderr).toMatch(/^audit: the database's schema is out of date \(relation "audit_log" does not exist\); run npm run migrate\n$/);
    const refused = await audit(['--since', '1h'], { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/app' });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^audit: could not reach PostgreSQL: connect ECONNREFUSED 127\.0\.0\.1:1 \(check DATABASE_URL\)\n$/);
  });
});
