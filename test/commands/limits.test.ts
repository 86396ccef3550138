// `npm run limits` on SQLite: what it shows and clears, its flags and its failures. The same
// command against a running app on every backend (a real locked-out user) is in
// test/routes/admin-unlock.test.ts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { createSqliteLimits } from '../../src/storage/sqlite/limits.ts';
import { createAuditLog } from '../../src/storage/sqlite/audit-log.ts';
import { runLimitsCommand } from '../../src/commands/limits.ts';
import { useTempDir } from '../helpers/temp-dir.ts';
import { withoutBackendsLine } from '../helpers/command-output.ts';
import { runCommand, spawnCommand } from '../helpers/run-command.ts';
import type { Outcome } from '../helpers/run-command.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(REPO_ROOT, 'migrations');

const limitsCommand = async (args: string[], env: Record<string, string>): Promise<Outcome> =>
  withoutBackendsLine(await runCommand(runLimitsCommand, args, env, REPO_ROOT));

/** The table's rows as cells (the lines before the blank line that ends it). */
const rowsOf = (stdout: string) =>
  stdout.split('\n\n')[0].split('\n').slice(1).map((line) => line.split(/ {2,}/));

describe('npm run limits (src/commands/limits.ts)', () => {
  const tempDir = useTempDir();
  let alice = 0;

  /** Alice: 15 wrong passwords (5 from 192.0.2.10), one code sent; Bob: 2 wrong passwords; 192.0.2.10: its own address budget. */
  const seeded = async () => {
    const file = path.join(tempDir(), 'app.db');
    const db: Database = openDatabase(file);
    applyMigrations(db, [MIGRATIONS]);
    const addUser = db.prepare("INSERT INTO users (email, phone, password_hash) VALUES (?, ?, '$argon2id$v=19$m=19456,t=2,p=1$U0VDUkVUc2FsdA$U0VDUkVUaGFzaFNFQ1JFVGhhc2g')");
    alice = Number(addUser.run('Alice@Example.com', '+15555550100').lastInsertRowid);
    addUser.run('bob@example.com', '+15555550199');
    const limits = createSqliteLimits(db);
    const audit = createAuditLog(db);
    for (let i = 0; i < 15; i++) {
      const ip = i < 5 ? '192.0.2.10' : `198.51.100.${i}`;
      await limits.consume(['password-ip', ip], ['password-account-ip', `alice@example.com ${ip}`], ['password-account', 'alice@example.com']);
      await audit.record('password-failed', { ip, headers: {} }, { userId: alice });
    }
    const account = String(alice);
    await limits.consume(['send-account-hour', account], ['send-account-day', account], ['send-phone-hour', '+15555550100'], ['send-phone-day', '+15555550100']);
    await limits.penalize('send-cooldown', account);
    // A phone change (anyone's) sent a code to Alice's number: its budgets for changes, apart from its sign-ins'.
    await limits.consume(['send-phone-hour', 'new-phone +15555550100'], ['send-phone-day', 'new-phone +15555550100']);
    for (let i = 0; i < 2; i++) await limits.consume(['password-account', 'bob@example.com']);
    db.close();
    return { file, env: { DATABASE_URL: `sqlite:${file}` } };
  };
  const counters = async (file: string) => {
    const db = openDatabase(file);
    try {
      return await createSqliteLimits(db).peek(['password-account', 'alice@example.com'], ['password-account', 'bob@example.com'], ['password-ip', '192.0.2.10']);
    } finally {
      db.close();
    }
  };

  it('--show lists what the account and its phone spent of each budget, which refuse now, and when each frees', async () => {
    const { env } = await seeded();
    const { code, stdout, stderr } = await limitsCommand(['--show', 'ALICE@example.COM'], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')[0]).toMatch(/^BUDGET +KEYED BY +SPENT +NOW +FREES$/);
    const frees = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (15 minutes|\d+ seconds)\)$/);
    const hour = expect.stringMatching(/Z \(in (60|59) minutes\)$/);
    const phone = 'phone +1 ••• ••• 0100';
    expect(rowsOf(stdout)).toEqual([
      ['password-account', 'email', '15 of 15', 'REFUSING', frees],
      // one row per address the account's audit events came from: only 192.0.2.10 used up its 5
      ['password-account-ip', 'email from 192.0.2.10', '5 of 5', 'REFUSING', frees],
      ...[5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => ['password-account-ip', `email from 198.51.100.${i}`, '1 of 5', 'open', frees]),
      ['code-account', 'account', '0 of 10', 'open', '-'],
      ['send-cooldown', 'account', '1 of 1', 'REFUSING', expect.stringMatching(/Z \(in (30|29) seconds\)$/)],
      ['send-account-hour', 'account', '1 of 5', 'open', hour],
      ['send-account-day', 'account', '1 of 10', 'open', expect.stringMatching(/Z \(in (24|23) hours\)$/)],
      ['send-phone-hour', phone, '1 of 5', 'open', hour],
      ['send-phone-day', phone, '1 of 10', 'open', expect.any(String)],
      ['send-phone-hour', `${phone} as a new number`, '1 of 5', 'open', hour],
      ['send-phone-day', `${phone} as a new number`, '1 of 10', 'open', expect.any(String)],
    ]);
    expect(stdout).toContain('Not kept per account, so not shown or cleared here: the per-address budgets (password-ip');
    expect(stdout).not.toContain('5555550100'); // the phone masked
  });

  it('--clear deletes every budget of the account and its phone at once, leaves other accounts and addresses alone, and is audited', async () => {
    const { file, env } = await seeded();
    const cleared = await limitsCommand(['--clear', 'alice@example.com'], env);
    expect({ code: cleared.code, stderr: cleared.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cleared.stdout.split('\n')[0]).toBe(
      'cleared 19 budgets of Alice@Example.com: password-account (email), ' +
        'password-account-ip (email from 192.0.2.10), ' +
        [5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => `password-account-ip (email from 198.51.100.${i}), `).join('') +
        'send-cooldown (account), send-account-hour (account), send-account-day (account), ' +
        'send-phone-hour (phone +1 ••• ••• 0100), send-phone-day (phone +1 ••• ••• 0100), ' +
        'send-phone-hour (phone +1 ••• ••• 0100 as a new number), send-phone-day (phone +1 ••• ••• 0100 as a new number)',
    );
    const after = rowsOf((await limitsCommand(['--show', 'alice@example.com'], env)).stdout);
    expect(after.map((row) => row.slice(2, 5))).toEqual(after.map(() => [expect.stringMatching(/^0 of \d+$/), 'open', '-']));
    const [aliceLeft, bobLeft, addressLeft] = await counters(file);
    expect(aliceLeft).toBeUndefined();
    expect(bobLeft).toMatchObject({ consumed: 2, points: 15 });
    expect(addressLeft).toMatchObject({ consumed: 5, points: 20 }); // the network's, not the account's
    const db = openDatabase(file);
    const rows = db.prepare("SELECT user_id, ip, user_agent, detail FROM audit_log WHERE event = 'limits-cleared-by-admin'").all();
    db.close();
    expect(rows).toEqual([{ user_id: alice, ip: 'local', user_agent: 'npm run limits -- --clear', detail: 'cleared=19' }]);
  });

  it('--clear on an account with nothing spent says so and exits 0', async () => {
    const { env } = await seeded();
    await limitsCommand(['--clear', 'alice@example.com'], env);
    expect((await limitsCommand(['--clear', 'alice@example.com'], env)).stdout.split('\n')[0]).toBe('cleared 0 budgets of Alice@Example.com (none had anything spent)');
  });

  it('an unknown account prints nothing on stdout, says so on stderr and exits 1', async () => {
    const { env } = await seeded();
    for (const action of ['--show', '--clear']) {
      expect(await limitsCommand([action, 'nobody@example.com'], env)).toEqual({ code: 1, stdout: '', stderr: 'limits: no account has the email nobody@example.com\n' });
    }
  });

  it.each([
    [[], /^limits: --show EMAIL or --clear EMAIL is required\n/],
    [['--show'], /^limits: --show needs an email\n/],
    [['--show', 'a@example.com', '--clear', 'a@example.com'], /^limits: give --show or --clear, not both\n/],
    [['--reset', 'a@example.com'], /^limits: unknown flag --reset \(npm run limits -- --help lists the flags\)\n/],
  ])('refuses %j with a line naming the problem, the usage, and exit 2', async (args, message) => {
    const outcome = await runCommand(runLimitsCommand, args, {}, REPO_ROOT);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toMatch(message);
    expect(outcome.stderr).toContain('usage: npm run limits -- --show EMAIL | --clear EMAIL\n');
  });

  it('runs as a Node process, as npm run limits starts it: the backends line first, the same output and exit code as in-process', async () => {
    const { env } = await seeded();
    const spawned = await spawnCommand(path.join(REPO_ROOT, 'src/commands/limits.ts'), ['--show', 'alice@example.com'], env, REPO_ROOT);
    expect(spawned.stdout).toMatch(/^database: SQLite \/\S+app\.db; sessions and counters: in the database\nBUDGET /);
    expect(withoutBackendsLine(spawned)).toMatchObject({ code: 0, stderr: '' });
    expect(rowsOf(withoutBackendsLine(spawned).stdout)[0]).toEqual(['password-account', 'email', '15 of 15', 'REFUSING', expect.any(String)]);
    expect(await spawnCommand(path.join(REPO_ROOT, 'src/commands/limits.ts'), ['--lost'], env, REPO_ROOT)).toMatchObject({ code: 2 });
  });
});
