// Issue 14, point 5: no remembered token outlives "Sign out all other browsers", a password change,
// disabling the account or the end of the session it signed in, on any engine; on PostgreSQL even
// a token rotated while one of them runs (READ COMMITTED: a statement does not see rows another
// one is inserting). The rotation is held inside PostgreSQL itself, by a trigger that waits on an
// advisory lock the test holds, so the interleaving is the same on every run.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ALICE, createTestClient, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { passwordStep, rememberedRows, signInWithCode, signOut } from '../helpers/remembering.ts';
import { backendEnv, TEST_DATABASE } from '../helpers/test-backend.ts';

const NEW_PASSWORD = 'a brand new passphrase 42';
const sessionHandles = (body: string) => [...body.matchAll(/name="session" value="([^"]+)"/g)].map((m) => m[1]);

/** A browser holding only a copy of `from`'s remember cookie (stolen), on the login page. */
async function thiefWithCookieOf(t: TestApp, from: TestClient): Promise<TestClient> {
  const thief = t.client();
  thief.jar.set(`remember=${from.jar.cookies.remember}; Path=/`);
  await thief.get('/login');
  return thief;
}

describe('remembered browsers and the session epoch', () => {
  const start = useTestApps();

  it('a token made before the account’s session epoch moved skips the code no more, even where its row survived', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await signInWithCode(t, c);
    await signOut(c);
    // As when a rotation racing "Sign out everywhere" wrote its successor after the rows were deleted.
    await t.sql('UPDATE users SET session_epoch = session_epoch + 1 WHERE email = $1', [ALICE.email]);
    expect(await rememberedRows(t)).toHaveLength(1);
    expect((await passwordStep(c)).headers.location).toBe('/login/code');
  });

  it.each([
    ['signed in with a code, remember box ticked', false],
    ['signed in by the remembered browser itself (no code)', true],
  ])('ending one session at /account/sessions forgets that browser (%s), and only that one', async (_name, skipped) => {
    const t = await start({ api: 'v2' });
    const owner = createTestClient(t.app, { 'user-agent': 'Owner' });
    await signInWithCode(t, owner);
    const chrome = createTestClient(t.app, { 'user-agent': 'Chrome' });
    await signInWithCode(t, chrome);
    if (skipped) {
      await signOut(chrome);
      expect((await passwordStep(chrome)).headers.location).toBe('/'); // its token rotated
    }
    const page = await owner.get('/account/sessions');
    const [chromeHandle] = sessionHandles(page.body);
    expect(sessionHandles(page.body)).toHaveLength(1);
    expect((await owner.post('/account/sessions/end', { session: chromeHandle })).headers.location).toBe('/account/sessions');
    expect((await chrome.get('/')).headers.location).toBe('/login');
    expect((await passwordStep(chrome)).headers.location).toBe('/login/code');
    // The owner's own remembered browser is still remembered.
    await signOut(owner);
    expect((await passwordStep(owner)).headers.location).toBe('/');
  });
});

/** Each action that must leave no remembered token of the account, run by the victim's browser or an admin. */
type Action = (t: TestApp, victim: TestClient, chromeHandle: string) => Promise<unknown>;
/** The action, the password after it, and whether it also ends the session the thief's sign-in made. */
const ACTIONS: Array<[string, Action, string, boolean]> = [
  ['"Sign out all other browsers"', (_t, victim) => victim.post('/account/sessions/end-others'), ALICE.password, true],
  ['a password change', (_t, victim) => victim.post('/account/password', { current_password: ALICE.password, new_password: NEW_PASSWORD }), NEW_PASSWORD, true],
  ['disabling the account (enabled again after)', (t) => t.sql('UPDATE users SET disabled = 1 WHERE email = $1', [ALICE.email]), ALICE.password, true],
  // The thief's sign-in is a session of its own, which ending the other one leaves alone.
  ['ending the session that browser signed in', (_t, victim, handle) => victim.post('/account/sessions/end', { session: handle }), ALICE.password, false],
];

describe.runIf(TEST_DATABASE === 'postgres')('a remembered token rotated while an action that forgets it runs (PostgreSQL)', () => {
  const start = useTestApps();

  it.each(ACTIONS)('%s: the rotated token does not survive', async (_name, action, password, endsThiefSession) => {
    const t = await start({ api: 'v2' });
    const victim = createTestClient(t.app, { 'user-agent': 'Victim' });
    await signInWithCode(t, victim, { remember: false });
    const chrome = createTestClient(t.app, { 'user-agent': 'Chrome' });
    await signInWithCode(t, chrome);
    const thief = await thiefWithCookieOf(t, chrome);
    const [chromeHandle] = sessionHandles((await victim.get('/account/sessions')).body);

    const admin = new pg.Client({ connectionString: (await backendEnv(t.dir)).DATABASE_URL });
    await admin.connect();
    try {
      // Every insert into remembered_browsers waits for the test's advisory lock: the rotation has
      // deleted the old token (uncommitted) and waits to insert its successor.
      await admin.query(`CREATE FUNCTION hold_remembered_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NEW; END $$`);
      await admin.query('CREATE TRIGGER hold_remembered_insert BEFORE INSERT ON remembered_browsers FOR EACH ROW EXECUTE FUNCTION hold_remembered_insert()');
      await admin.query('SELECT pg_advisory_lock(4242)');
      const waiting = async (what: string) => {
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
          const { rows } = await admin.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND ${what}`,
          );
          if (rows[0].n > 0) return;
          await new Promise((resolve) => setImmediate(resolve));
        }
        throw new Error(`no session waited on a lock (${what})`);
      };
      const stolen = thief.post('/login', { email: ALICE.email, password: ALICE.password });
      await waiting("wait_event = 'advisory'");
      const racing = action(t, victim, chromeHandle);
      await waiting("wait_event <> 'advisory'"); // the action now waits for the rotation
      await admin.query('SELECT pg_advisory_unlock(4242)');
      await Promise.all([stolen, racing]);
      await admin.query('DROP TRIGGER hold_remembered_insert ON remembered_browsers');
    } finally {
      await admin.end();
    }
    await t.sql('UPDATE users SET disabled = 0 WHERE email = $1', [ALICE.email]);
    await t.moveClock(Date.now() + 5000); // past any instance's account cache
    if (endsThiefSession) expect((await thief.get('/')).statusCode).toBe(303);
    else await signOut(thief);
    await thief.get('/login');
    expect((await thief.post('/login', { email: ALICE.email, password })).headers.location).toBe('/login/code');
  });
});
