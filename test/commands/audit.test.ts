import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { runAuditCommand } from '../../src/commands/audit.ts';
import { useTempDir, writeFiles } from '../helpers/temp-dir.ts';
import { withoutBackendsLine } from '../helpers/command-output.ts';
import { runCommand, spawnCommand } from '../helpers/run-command.ts';
import type { Outcome } from '../helpers/run-command.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(REPO_ROOT, 'migrations');
const MINUTE = 60_000;

/** Runs the command in this process as `npm run audit -- …` would, with only the environment given. */
const audit = async (args: string[], env: Record<string, string>, cwd = REPO_ROOT): Promise<Outcome> =>
  withoutBackendsLine(await runCommand(runAuditCommand, args, env, cwd));

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

/** Alice and Bob, and events from two hours ago up to now, inserted out of order. */
function seed(db: Database): void {
  applyMigrations(db, [MIGRATIONS]);
  const addUser = db.prepare("INSERT INTO users (email, phone, password_hash) VALUES (?, ?, '$argon2id$v=19$m=19456,t=2,p=1$U0VDUkVUc2FsdA$U0VDUkVUaGFzaFNFQ1JFVGhhc2g')");
  const alice = Number(addUser.run('alice@example.com', '+15555550100').lastInsertRowid);
  const bob = Number(addUser.run('bob@example.com', '+15555550199').lastInsertRowid);
  db.prepare("INSERT INTO sessions (sid, data, expires_at, user_id) VALUES ('SECRET-SESSION-ID', '{}', 0, ?)").run(alice);
  const add = db.prepare('INSERT INTO audit_log (at, event, user_id, ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?)');
  add.run(iso(10 * MINUTE), 'code-ok', alice, '192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', null);
  add.run(iso(120 * MINUTE), 'password-ok', alice, '192.0.2.10', 'too old to show', null);
  add.run(iso(50 * MINUTE), 'password-failed', null, '198.51.100.7', null, null);
  add.run(iso(40 * MINUTE), 'code-failed', bob, '2001:db8::1', 'curl/8.0', 'wrong code');
  add.run(iso(1 * MINUTE), 'signed-out', alice, '192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', null);
}

describe('npm run audit (src/commands/audit.ts)', () => {
  const tempDir = useTempDir();
  const seeded = (fill: (db: Database) => void = seed) => {
    const file = path.join(tempDir(), 'app.db');
    const db = openDatabase(file);
    fill(db);
    db.close();
    return { DATABASE_URL: `sqlite:${file}` };
  };

  it('prints the events of the window as an aligned table, oldest first, then a count', async () => {
    const { code, stdout, stderr } = await audit(['--since', '1h'], seeded());
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +EVENT +ACCOUNT +IP +USER AGENT +DETAIL$/);
    expect(lines.slice(1, -1).map((line) => line.split(/ {2,}/).slice(1))).toEqual([
      ['password-failed', '-', '198.51.100.7', '-', '-'],
      ['code-failed', 'bob@example.com', '2001:db8::1', 'curl/8.0', 'wrong code'],
      ['code-ok', 'alice@example.com', '192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', '-'],
      ['signed-out', 'alice@example.com', '192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', '-'],
    ]);
    for (const title of ['EVENT', 'ACCOUNT', 'IP', 'USER AGENT', 'DETAIL']) {
      const column = lines[0].indexOf(title);
      for (const line of lines.slice(1, -1)) expect(line[column - 1]).toBe(' ');
      for (const line of lines.slice(1, -1)) expect(line[column]).not.toBe(' ');
    }
    expect(lines.at(-1)).toMatch(/^4 events since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('--account shows one account’s events, matching the email in any letter case', async () => {
    const { code, stdout } = await audit(['--since', '90m', '--account', 'ALICE@Example.COM'], seeded());
    expect(code).toBe(0);
    const events = stdout.trimEnd().split('\n').slice(1, -1).map((line) => line.split(/ {2,}/)[1]);
    expect(events).toEqual(['code-ok', 'signed-out']);
    expect(stdout).toMatch(/\n2 events for ALICE@Example\.COM since \S+\n$/);
    expect(stdout).not.toContain('bob@');
  });

  it('an unknown --account prints nothing on stdout, says so on stderr and exits 1', async () => {
    expect(await audit(['--since', '1d', '--account', 'nobody@example.com'], seeded())).toEqual({
      code: 1,
      stdout: '',
      stderr: 'audit: no account has the email nobody@example.com; nothing to show\n',
    });
  });

  it('says when the window holds no events, and exits 0', async () => {
    expect(await audit(['--since', '30s', '--account', 'bob@example.com'], seeded())).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^no events for bob@example\.com since \S+Z\n$/),
      stderr: '',
    });
  });

  it('--json prints one JSON object per line, oldest first, and nothing else', async () => {
    const env = seeded();
    const { code, stdout, stderr } = await audit(['--since=1h', '--json', '--account=bob@example.com'], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual([
      {
        id: expect.any(Number),
        at: expect.stringMatching(/Z$/),
        event: 'code-failed',
        user_id: expect.any(Number),
        account: 'bob@example.com',
        ip: '2001:db8::1',
        user_agent: 'curl/8.0',
        detail: 'wrong code',
      },
    ]);
    const all = (await audit(['--json', '--since', '7d'], env)).stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(all.map((entry) => entry.event)).toEqual(['password-ok', 'password-failed', 'code-failed', 'code-ok', 'signed-out']);
  });

  it('shortens long user agents and shows control characters escaped, never raw', async () => {
    const userAgent = `Evil\u001b[2J\u001b]0;owned\u0007 ${'x'.repeat(100)}`;
    const env = seeded((db) => {
      applyMigrations(db, [MIGRATIONS]);
      db.prepare("INSERT INTO audit_log (event, ip, user_agent, detail) VALUES ('password-failed', '192.0.2.1', ?, ?)")
        .run(userAgent, 'line one\nline two\u009b31m\u202egnp.exe');
    });
    const table = await audit(['--since', '1m'], env);
    expect(table.code).toBe(0);
    const row = table.stdout.split('\n')[1];
    expect(row).toContain('Evil\\x1b[2J\\x1b]0;owned\\x07 xxx');
    expect(row).toMatch(/x… +line one\\x0aline two\\x9b31m\\u\{202e\}gnp\.exe$/);
    expect(row.split(/ {2,}/)[4]).toHaveLength(60);

    const json = await audit(['--since', '1m', '--json'], env);
    const entry = JSON.parse(json.stdout);
    expect(entry.detail).toBe('line one\nline two\u009b31m\u202egnp.exe');
    expect(entry.user_agent).toBe(userAgent);
    for (const output of [table.stdout, json.stdout]) {
      expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    }
  });

  it('runs as a Node process, as npm run audit starts it: the same output and exit code as in-process', async () => {
    const env = seeded();
    const spawned = await spawnCommand(path.join(REPO_ROOT, 'src/commands/audit.ts'), ['--since', '1h', '--json'], env, REPO_ROOT);
    expect(spawned).toEqual(await runCommand(runAuditCommand, ['--since', '1h', '--json'], env, REPO_ROOT));
    expect(spawned.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(await spawnCommand(path.join(REPO_ROOT, 'src/commands/audit.ts'), ['--since'], env, REPO_ROOT)).toMatchObject({ code: 2 });
  });

  it('never prints password hashes, session IDs or phone numbers', async () => {
    const env = seeded();
    for (const args of [['--since', '7d'], ['--since', '7d', '--json']]) {
      const { stdout } = await audit(args, env);
      expect(stdout).toContain('alice@example.com');
      expect(stdout).not.toMatch(/SECRET|argon2|\+1555/);
    }
  });

  it.each([
    [['--since', '1w'], /^audit: --since "1w" is not a duration; use a number and s, m, h or d, e\.g\. 90s, 30m, 1h, 7d\n$/],
    [['--since', '1.5h'], /^audit: --since "1\.5h" is not a duration/],
    [['--since', '0m'], /^audit: --since "0m" is not a duration/],
    [['--since', 'h'], /^audit: --since "h" is not a duration/],
    [['--since', '-1h'], /^audit: --since "-1h" is not a duration/],
    [['--since=', '--json'], /^audit: --since "" is not a duration/],
    [['--since', '99999999d'], /^audit: --since 99999999d reaches back more than 100 years\n$/],
    [['--since'], /^audit: --since needs a value\n$/],
    [['--since', '--json'], /^audit: --since needs a value\n$/],
    [[], /^audit: --since is required, e\.g\. --since 1h\n$/],
    [['--account', 'alice@example.com'], /^audit: --since is required/],
    [['--since', '1h', '--since', '2h'], /^audit: --since is given twice\n$/],
    [['--since', '1h', '--account', ' '], /^audit: --account needs an email\n$/],
    [['--since', '1h', '--acount', 'a@b.c'], /^audit: unknown flag --acount \(npm run audit -- --help lists the flags\)\n$/],
    [['--since', '1h', '-v'], /^audit: unknown flag -v /],
    [['--since', '1h', '--json=yes'], /^audit: --json takes no value\n$/],
    [['1h'], /^audit: unexpected argument "1h" \(with npm, put -- before the flags\)\n$/],
  ])('refuses %j with one line naming the problem and exit 2', async (args, message) => {
    const outcome = await audit(args, seeded(() => {}));
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(message);
    expect(outcome.stderr.split('\n')).toHaveLength(2);
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await audit(['--help'], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run audit -- --since DURATION \[--account EMAIL\] \[--json\]\n/);
  });

  it('defaults to sqlite:data/app.db and reads DATABASE_URL from .env, the environment winning', async () => {
    const fill = (event: string) => (db: Database) => {
      applyMigrations(db, [MIGRATIONS]);
      db.prepare('INSERT INTO audit_log (event) VALUES (?)').run(event);
    };
    const events = async (env: Record<string, string>) =>
      (await audit(['--since', '1h', '--json'], env, tempDir())).stdout.trimEnd().split('\n').map((line) => JSON.parse(line).event);

    for (const [file, event] of [['data/app.db', 'from-default'], ['from-env.db', 'from-env'], ['from-shell.db', 'from-shell']]) {
      const db = openDatabase(path.join(tempDir(), file));
      fill(event)(db);
      db.close();
    }
    expect(await events({})).toEqual(['from-default']);
    writeFiles(tempDir(), { '.env': 'DATABASE_URL=sqlite:from-env.db\n' });
    expect(await events({})).toEqual(['from-env']);
    expect(await events({ DATABASE_URL: 'sqlite:from-shell.db' })).toEqual(['from-shell']);
  });

  it('fails with one line and exit 1 when the database is missing, not migrated, or cannot be reached', async () => {
    const missing = path.join(tempDir(), 'missing.db');
    expect(await audit(['--since', '1h'], { DATABASE_URL: `sqlite:${missing}` })).toEqual({
      code: 1,
      stdout: '',
      stderr: `audit: the database ${missing} does not exist (check DATABASE_URL)\n`,
    });

    const bare = await audit(['--since', '1h'], seeded(() => {}));
    expect(bare).toMatchObject({ code: 1, stdout: '' });
    expect(bare.stderr).toMatch(/^audit: the database's schema is out of date \(no such table: \w+\); run npm run migrate\n$/);

    // Nothing listens on port 1: refused at once. (test/storage/postgres has the runs against a server.)
    const postgres = await audit(['--since', '1h'], { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/app' });
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toMatch(/^audit: could not reach PostgreSQL: .*ECONNREFUSED.* \(check DATABASE_URL\)\n$/);
    expect(postgres.stderr).not.toContain('hunter2');
  });
});
