// Issue 14, point 1: `npm run sessions -- --revoke EMAIL` against a running app does what "Sign out
// everywhere" does, and more: every session ends (signed in and pending), every remembered
// browser is forgotten, a sign-in under way does not outlive it, and the audit log says so. Runs
// the command on the app's own backends (SQLite, PostgreSQL, PostgreSQL + Redis).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSessionsCommand } from '../../src/commands/sessions.ts';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { passwordStep, signInWithCode, signOut } from '../helpers/remembering.ts';
import { pendingClient } from '../helpers/recovery-codes.ts';
import { auditRows } from '../helpers/audit.ts';
import { backendEnv, TEST_REDIS } from '../helpers/test-backend.ts';
import { withoutBackendsLine } from '../helpers/command-output.ts';
import { runCommand } from '../helpers/run-command.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The command in this process (its spawned smoke test is in test/commands/sessions.test.ts); what it printed. */
async function sessionsCommand(t: TestApp, ...args: string[]) {
  const outcome = await runCommand(runSessionsCommand, args, await backendEnv(t.dir), REPO_ROOT);
  if (outcome.code !== 0) throw new Error(`npm run sessions exited ${outcome.code}: ${outcome.stderr}`);
  return withoutBackendsLine(outcome).stdout;
}

/** A browser holding only a copy of `from`'s remember cookie (stolen), on the login page. */
async function thiefWithCookieOf(t: TestApp, from: TestClient): Promise<TestClient> {
  const thief = t.client();
  thief.jar.set(`remember=${from.jar.cookies.remember}; Path=/`);
  await thief.get('/login');
  return thief;
}

describe('npm run sessions -- --revoke on a running app', () => {
  const start = useTestApps();

  it('ends every session, forgets every remembered browser (a stolen cookie plus the password needs a code) and is audited', async () => {
    const t = await start({ api: 'v2' });
    const owner = t.client();
    await signInWithCode(t, owner);
    const thief = await thiefWithCookieOf(t, owner);
    const pending = await pendingClient(t);

    expect(await sessionsCommand(t, '--revoke', ALICE.email)).toBe(`ended 2 sessions and forgot 1 remembered browser of ${ALICE.email}\n`);
    await t.moveClock(Date.now() + 5000); // past any instance's account cache
    expect((await owner.get('/')).headers.location).toBe('/login');
    expect((await pending.get('/login/code')).headers.location).toBe('/login');
    expect((await passwordStep(thief)).headers.location).toBe('/login/code');
    const [row] = (await auditRows(t)).filter((r) => r.event === 'sessions-revoked-by-admin');
    expect(row).toMatchObject({ detail: 'sessions=2 remembered=1', ip: 'local', user_agent: 'npm run sessions -- --revoke' });
    expect(row.user_id).not.toBeNull();
  });

  it('a remembered browser’s sign-in under way when it runs does not outlive it', async () => {
    const t = await start({ api: 'v2' });
    const thief = t.client();
    await signInWithCode(t, thief);
    await signOut(thief);
    await thief.get('/login');
    // Hold the thief's password step just after its token was redeemed, before its session is made.
    const remember = t.app.rememberBrowser as unknown as { redeem: (...args: unknown[]) => Promise<unknown> };
    const redeem = remember.redeem;
    let release!: () => void;
    let redeemed!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (redeemed = resolve));
    remember.redeem = async (...args) => {
      const browser = await redeem(...args);
      redeemed();
      await held;
      return browser;
    };
    const signingIn = thief.post('/login', { email: ALICE.email, password: ALICE.password });
    await reached;
    await sessionsCommand(t, '--revoke', ALICE.email);
    release();
    expect((await signingIn).headers.location).toBe('/'); // it got a session, written after the revoke…
    remember.redeem = redeem;
    await t.moveClock(Date.now() + 5000);
    expect((await thief.get('/')).headers.location).toBe('/login'); // …that is over all the same
    expect((await passwordStep(thief)).headers.location).toBe('/login/code');
  });

  it('--list shows a disabled account’s sessions as ended, never as signed in', async () => {
    const t = await start({ api: 'v2' });
    const owner = t.client();
    await signInWithCode(t, owner, { remember: false });
    expect(await sessionsCommand(t, '--list', ALICE.email)).toMatch(/^signed in /m);
    await t.sql('UPDATE users SET disabled = 1 WHERE email = $1', [ALICE.email]);
    const listed = await sessionsCommand(t, '--list', ALICE.email);
    expect(listed).not.toMatch(/^signed in /m);
    // In the database a trigger deletes them; Redis keeps them until they expire.
    if (TEST_REDIS) expect(listed).toMatch(/^ended +.*\n1 session for alice@example\.com \(the account is disabled: none of them can be used\)\n$/m);
    else expect(listed).toBe(`no sessions for ${ALICE.email}\n`);
  });
});
