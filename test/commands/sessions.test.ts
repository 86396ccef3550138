import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { sessionRules } from '../../src/signin/state.ts';
import { createSqliteSessionStore } from '../../src/storage/sqlite/session-store.ts';
import { useTempDir, writeFiles } from '../helpers/temp-dir.ts';
import { HOUR, inAnHour, setSession } from '../helpers/session-calls.ts';
import { runSessionsCommand } from '../../src/commands/sessions.ts';
import { withoutBackendsLine } from '../helpers/command-output.ts';
import { runCommand, spawnCommand } from '../helpers/run-command.ts';
import type { Outcome } from '../helpers/run-command.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(REPO_ROOT, 'migrations');
const MINUTE = 60_000;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

/** Runs the command in this process as `npm run sessions -- …` would, with only the environment given. */
const sessions = async (args: string[], env: Record<string, string>, cwd = REPO_ROOT): Promise<Outcome> =>
  withoutBackendsLine(await runCommand(runSessionsCommand, args, env, cwd));

const signedIn = (userId: number, startedAgo: number, seenAgo: number, more: Record<string, unknown> = {}) => ({
  signedIn: { userId, epoch: 1, signedInAt: Date.now() - startedAgo, seenAt: Date.now() - seenAgo, handle: 'SECRET-HANDLE', ...more },
  csrfSecret: 'SECRET-CSRF',
});
const pending = (userId: number, sentAgo: number) => ({ pending: { userId, epoch: 1, renewedAt: Date.now() - sentAgo }, verifyCode: { requestId: 'SECRET-REQUEST', sentAt: Date.now() - sentAgo } });
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().slice(0, 16); // to the minute

/** Alice: two signed-in browsers, a pending sign-in and one timed out; Bob: one session. */
async function seed(db: Database): Promise<void> {
  applyMigrations(db, [MIGRATIONS]);
  const addUser = db.prepare("INSERT INTO users (email, phone, password_hash) VALUES (?, ?, '$argon2id$v=19$m=19456,t=2,p=1$U0VDUkVUc2FsdA$U0VDUkVUaGFzaFNFQ1JFVGhhc2g')");
  const alice = Number(addUser.run('alice@example.com', '+15555550100').lastInsertRowid);
  const bob = Number(addUser.run('bob@example.com', '+15555550199').lastInsertRowid);
  db.exec('UPDATE users SET session_epoch = 1'); // the epoch the sessions below were signed in under
  const store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * MINUTE, maxMs: 12 * HOUR }, HOUR));
  await setSession(store, 'SECRET-SID-1', inAnHour(signedIn(alice, 3 * HOUR, 5 * MINUTE, { address: '192.0.2.10', userAgent: FIREFOX })));
  await setSession(store, 'SECRET-SID-2', inAnHour(signedIn(alice, 20 * MINUTE, 1 * MINUTE, { address: '2001:db8::7', userAgent: SAFARI })));
  await setSession(store, 'SECRET-SID-3', inAnHour(pending(alice, 2 * MINUTE)));
  // idle for 40 minutes: timed out, though its row outlives it by a grace period
  await setSession(store, 'SECRET-SID-4', inAnHour(signedIn(alice, 2 * HOUR, 40 * MINUTE, { address: '198.51.100.1', userAgent: 'curl/8.0' })));
  await setSession(store, 'SECRET-SID-5', inAnHour(signedIn(bob, HOUR, MINUTE, { address: '203.0.113.5', userAgent: FIREFOX })));
}

describe('npm run sessions (src/commands/sessions.ts)', () => {
  const tempDir = useTempDir();
  const seeded = async (fill: (db: Database) => void | Promise<void> = seed) => {
    const file = path.join(tempDir(), 'app.db');
    const db = openDatabase(file);
    await fill(db);
    db.close();
    return { DATABASE_URL: `sqlite:${file}` };
  };

  it('--list prints the account’s sessions, oldest first, with a readable browser, and a count', async () => {
    const { code, stdout, stderr } = await sessions(['--list', 'ALICE@Example.COM'], await seeded());
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STATE +STARTED +LAST SEEN +ADDRESS +BROWSER$/);
    expect(lines.slice(1, -1).map((line) => line.split(/ {2,}/))).toEqual([
      ['signed in', expect.stringContaining(iso(3 * HOUR)), expect.stringContaining(iso(5 * MINUTE)), '192.0.2.10', 'Firefox 133 on Linux'],
      ['signed in', expect.stringContaining(iso(20 * MINUTE)), expect.stringContaining(iso(MINUTE)), '2001:db8::7', 'Safari 17 on macOS'],
      ['pending', expect.stringContaining(iso(2 * MINUTE)), '-', '-', '-'],
    ]);
    expect(lines[1]).toMatch(/ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /);
    for (const title of ['STARTED', 'LAST SEEN', 'ADDRESS', 'BROWSER']) {
      const column = lines[0].indexOf(title);
      for (const line of lines.slice(1, -1)) expect(line.slice(column - 2, column + 1)).toMatch(/^ {2}\S$/);
    }
    expect(lines.at(-1)).toBe('3 sessions for alice@example.com');
  });

  it('runs as a Node process, as npm run sessions starts it: the same output and exit code as in-process', async () => {
    const env = await seeded();
    const spawned = await spawnCommand(path.join(REPO_ROOT, 'src/commands/sessions.ts'), ['--list', 'alice@example.com'], env, REPO_ROOT);
    expect(spawned).toEqual(await runCommand(runSessionsCommand, ['--list', 'alice@example.com'], env, REPO_ROOT));
    expect(spawned.stdout).toMatch(/\n3 sessions for alice@example\.com\n$/);
    expect(await spawnCommand(path.join(REPO_ROOT, 'src/commands/sessions.ts'), ['--lost'], env, REPO_ROOT)).toMatchObject({ code: 2 });
  });

  it('never prints session IDs, handles, secrets or hashes', async () => {
    const env = await seeded();
    for (const email of ['alice@example.com', 'bob@example.com']) {
      const { stdout } = await sessions(['--list', email], env);
      expect(stdout).toContain(email);
      expect(stdout).not.toMatch(/SECRET|argon2|\+1555/);
    }
  });

  it('reads the session timeouts as the app does: a longer idle limit shows the idle session too', async () => {
    const env = await seeded();
    const { stdout } = await sessions(['--list', 'alice@example.com'], { ...env, SESSION_IDLE_MINUTES: '60' });
    expect(stdout).toMatch(/\nsigned in +\S+ +\S+ +198\.51\.100\.1 +curl\/8\.0\n/);
    expect(stdout).toMatch(/\n4 sessions for alice@example\.com\n$/);
  });

  it('--revoke ends every session of the account, says how many, and leaves other accounts alone', async () => {
    const env = await seeded();
    // the timed-out session is ended too (its row was still stored)
    expect(await sessions(['--revoke', 'Alice@example.com'], env)).toEqual({ code: 0, stdout: 'ended 4 sessions and forgot 0 remembered browsers of alice@example.com\n', stderr: '' });
    expect(await sessions(['--list', 'alice@example.com'], env)).toEqual({ code: 0, stdout: 'no sessions for alice@example.com\n', stderr: '' });
    expect((await sessions(['--list', 'bob@example.com'], env)).stdout).toMatch(/\n1 session for bob@example\.com\n$/);
    expect(await sessions(['--revoke=bob@example.com'], env)).toMatchObject({ code: 0, stdout: 'ended 1 session and forgot 0 remembered browsers of bob@example.com\n' });
    expect(await sessions(['--revoke', 'bob@example.com'], env)).toMatchObject({ code: 0, stdout: 'ended 0 sessions and forgot 0 remembered browsers of bob@example.com\n' });

    const db = openDatabase(env.DATABASE_URL.slice('sqlite:'.length));
    try {
      expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
      // tombstoned: a request still holding one of them cannot write it back
      expect(db.prepare("SELECT count(*) FROM ended_sessions WHERE sid LIKE 'SECRET-SID-%'").pluck().get()).toBe(5);
    } finally {
      db.close();
    }
  });

  it('--revoke forgets the account’s remembered browsers only, moves its session epoch, and is audited', async () => {
    const env = await seeded(async (db) => {
      await seed(db);
      const remember = db.prepare(
        "INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id) SELECT ?, id, 0, 9999999999999, 1, ? FROM users WHERE email = ?",
      );
      remember.run('SECRET-TOKEN-HASH-1', 'a', 'alice@example.com');
      remember.run('SECRET-TOKEN-HASH-2', 'b', 'alice@example.com');
      remember.run('SECRET-TOKEN-HASH-3', 'c', 'bob@example.com');
    });
    expect(await sessions(['--revoke', 'alice@example.com'], env)).toEqual({
      code: 0,
      stdout: 'ended 4 sessions and forgot 2 remembered browsers of alice@example.com\n',
      stderr: '',
    });
    const db = openDatabase(env.DATABASE_URL.slice('sqlite:'.length));
    try {
      expect(db.prepare('SELECT browser_id FROM remembered_browsers').pluck().all()).toEqual(['c']);
      expect(db.prepare('SELECT email FROM users WHERE session_epoch <> 1').pluck().all()).toEqual(['alice@example.com']);
      expect(db.prepare('SELECT event, ip, user_agent, detail FROM audit_log').all()).toEqual([
        { event: 'sessions-revoked-by-admin', ip: 'local', user_agent: 'npm run sessions -- --revoke', detail: 'sessions=4 remembered=2' },
      ]);
      // A sign-in that read the old epoch and writes its session after the revoke: listed as ended.
      await setSession(createSqliteSessionStore(db, sessionRules({ idleMs: 30 * MINUTE, maxMs: 12 * HOUR }, HOUR)), 'SECRET-SID-late', inAnHour(signedIn(1, 0, 0)));
    } finally {
      db.close();
    }
    expect((await sessions(['--list', 'alice@example.com'], env)).stdout).toMatch(/\nended +\S+ +\S+ +- +.*\n1 session for alice@example\.com\n$/);
  });

  it('an unknown account prints nothing on stdout, says so on stderr and exits 1', async () => {
    const env = await seeded();
    for (const action of ['--list', '--revoke']) {
      expect(await sessions([action, 'nobody@example.com'], env)).toEqual({
        code: 1,
        stdout: '',
        stderr: 'sessions: no account has the email nobody@example.com\n',
      });
    }
  });

  it('shows addresses and user agents with control characters escaped, and shortens unknown agents', async () => {
    const env = await seeded(async (db) => {
      applyMigrations(db, [MIGRATIONS]);
      db.exec("INSERT INTO users (id, email, phone, password_hash) VALUES (1, 'eve@example.com', '+15555550100', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA')");
      db.exec('UPDATE users SET session_epoch = 1');
      const store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * MINUTE, maxMs: 12 * HOUR }, HOUR));
      await setSession(store, 's', inAnHour(signedIn(1, MINUTE, MINUTE, { address: '192.0.2.1\u001b[2J', userAgent: `Evil\u001b]0;owned\u0007 ${'x'.repeat(100)}` })));
    });
    const { code, stdout } = await sessions(['--list', 'eve@example.com'], env);
    expect(code).toBe(0);
    const row = stdout.split('\n')[1].split(/ {2,}/);
    expect(row[3]).toBe('192.0.2.1\\x1b[2J');
    expect(row[4]).toMatch(/^Evil\\x1b\]0;owned\\x07 x+…$/);
    expect([...row[4]]).toHaveLength(40);
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it.each([
    [[], /^sessions: --list EMAIL or --revoke EMAIL is required\n/],
    [['--list'], /^sessions: --list needs an email\n/],
    [['--list', '--revoke', 'a@example.com'], /^sessions: --list needs an email\n/],
    [['--revoke='], /^sessions: --revoke needs an email\n/],
    [['--list', ' '], /^sessions: --list needs an email\n/],
    [['--list', 'a@example.com', '--revoke', 'a@example.com'], /^sessions: give --list or --revoke, not both\n/],
    [['--list', 'a@example.com', '--list', 'b@example.com'], /^sessions: --list is given twice\n/],
    [['--revoke-all', 'a@example.com'], /^sessions: unknown flag --revoke-all \(npm run sessions -- --help lists the flags\)\n/],
    [['--help=yes'], /^sessions: --help takes no value\n/],
    [['a@example.com'], /^sessions: unexpected argument "a@example\.com" \(with npm, put -- before the flags\)\n/],
  ])('refuses %j with a line naming the problem, the usage, and exit 2', async (args, message) => {
    const outcome = await sessions(args, await seeded());
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(message);
    expect(outcome.stderr).toContain('usage: npm run sessions -- --list EMAIL | --revoke EMAIL\n');
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout, stderr } = await sessions(['--help'], {});
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^usage: npm run sessions -- --list EMAIL \| --revoke EMAIL\n/);
  });

  it('defaults to sqlite:data/app.db and reads DATABASE_URL from .env, the environment winning', async () => {
    const withAccount = (email: string) => (db: Database) => {
      applyMigrations(db, [MIGRATIONS]);
      db.prepare("INSERT INTO users (email, phone, password_hash) VALUES (?, '+15555550100', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA')").run(email);
    };
    for (const [file, email] of [['data/app.db', 'default@example.com'], ['from-env.db', 'env@example.com'], ['from-shell.db', 'shell@example.com']]) {
      const db = openDatabase(path.join(tempDir(), file));
      withAccount(email)(db);
      db.close();
    }
    const found = async (email: string, env: Record<string, string> = {}) => (await sessions(['--list', email], env, tempDir())).code === 0;
    expect(await found('default@example.com')).toBe(true);
    writeFiles(tempDir(), { '.env': 'DATABASE_URL=sqlite:from-env.db\n' });
    expect(await found('env@example.com')).toBe(true);
    expect(await found('default@example.com')).toBe(false);
    expect(await found('shell@example.com', { DATABASE_URL: 'sqlite:from-shell.db' })).toBe(true);
  });

  it('fails with one line and exit 1 when the database or Redis cannot be used, never echoing a password', async () => {
    const missing = path.join(tempDir(), 'missing.db');
    expect(await sessions(['--list', 'a@example.com'], { DATABASE_URL: `sqlite:${missing}` })).toEqual({
      code: 1,
      stdout: '',
      stderr: `sessions: the database ${missing} does not exist (check DATABASE_URL)\n`,
    });

    const bare = await sessions(['--list', 'a@example.com'], await seeded(() => {}));
    expect(bare).toMatchObject({ code: 1, stdout: '' });
    expect(bare.stderr).toMatch(/^sessions: the database's schema is out of date \(no such table: \w+\); run npm run migrate\n$/);

    const env = await seeded();
    // Nothing listens on port 1: refused at once. (test/storage/backends has the runs against real servers.)
    const postgres = await sessions(['--revoke', 'alice@example.com'], { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/app' });
    expect(postgres).toMatchObject({ code: 1, stdout: '' });
    expect(postgres.stderr).toMatch(/^sessions: could not reach PostgreSQL: .*ECONNREFUSED.* \(check DATABASE_URL\)\n$/);
    const redis = await sessions(['--revoke', 'alice@example.com'], { ...env, REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    expect(redis).toMatchObject({ code: 1, stdout: '' });
    expect(redis.stderr).toMatch(/^sessions: could not reach Redis: .*ECONNREFUSED.* \(check REDIS_URL\)\n$/);
    for (const { stderr } of [postgres, redis]) expect(stderr).not.toContain('hunter2');
    // nothing was ended in the database while Redis (where the sessions would be) was away
    expect((await sessions(['--list', 'alice@example.com'], env)).stdout).toMatch(/3 sessions/);

    const badSetting = await sessions(['--list', 'alice@example.com'], { ...env, SESSION_MAX_HOURS: 'twelve' });
    expect(badSetting).toEqual({ code: 1, stdout: '', stderr: 'sessions: SESSION_MAX_HOURS must be a number of hours from 1 to 720, got "twelve"\n' });
  });
});
