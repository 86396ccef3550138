// Found by an attack review: remembered browsers and "sign out everywhere" under races, rehashes,
// a lowered REMEMBER_DEVICE_DAYS and accounts deleted by hand.
import { join } from 'node:path';
import argon2 from 'argon2';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { ALICE, removeTestDir, seededDir, simulatorOptions, startTestApp, useTestApps } from '../helpers/test-app.ts';
import { BOB, DAY, passwordStep, rememberedRows, signInWithCode, signOut } from '../helpers/remembering.ts';
import { TEST_DATABASE } from '../helpers/test-backend.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';

describe('remembered browsers, hardened', () => {
  const start = useTestApps();

  it('a sign-in that rehashes an outdated password hash keeps the account’s remembered browsers', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await signInWithCode(t, c);
    await signOut(c);
    const [row] = await t.sql('SELECT * FROM remembered_browsers');
    // The stored hash predates today's argon2 parameters: same password, older parameters.
    const older = await argon2.hash(ALICE.password, { type: argon2.argon2id, memoryCost: 8192, timeCost: 2, parallelism: 1 });
    await t.sql('UPDATE users SET password_hash = $1 WHERE email = $2', [older, ALICE.email]); // an admin's change forgets them…
    await t.sql('INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id) VALUES ($1, $2, $3, $4, $5, $6)', [
      row.token_hash,
      row.user_id,
      row.created_at,
      row.expires_at,
      row.session_epoch,
      row.browser_id,
    ]); // …so put the row back, as if the browser had been remembered since
    expect((await passwordStep(c)).headers.location).toBe('/'); // the rehash did not forget it
    const [{ password_hash: now }] = await t.sql('SELECT password_hash FROM users WHERE email = $1', [ALICE.email]);
    expect(now).not.toBe(older);
    expect(await rememberedRows(t)).toHaveLength(1);
  });

  it('"Sign out all other browsers" wins over a remembered browser’s sign-in that was under way', async () => {
    const t = await start({ api: 'v2' });
    const victim = t.client();
    await signInWithCode(t, victim, { remember: false });
    const thief = t.client();
    await signInWithCode(t, thief);
    await signOut(thief);
    await thief.get('/login');
    await victim.get('/account/sessions');
    // Hold the thief's password step just after its token was redeemed.
    const remember = t.app.rememberBrowser as unknown as { redeem: (...args: unknown[]) => Promise<boolean> };
    const redeem = remember.redeem;
    let release!: () => void;
    let redeemed!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (redeemed = resolve));
    remember.redeem = async (...args) => {
      const ok = await redeem(...args);
      redeemed();
      await held;
      return ok;
    };
    const thiefLogin = thief.post('/login', { email: ALICE.email, password: ALICE.password });
    await reached;
    expect((await victim.post('/account/sessions/end-others')).statusCode).toBe(303);
    release();
    await thiefLogin;
    remember.redeem = redeem;
    await t.moveClock(Date.now() + 5000); // past any instance's account cache
    expect((await thief.get('/')).statusCode).toBe(303);
    expect((await victim.get('/')).statusCode).toBe(200);
  });

  it.runIf(TEST_DATABASE !== 'postgres')('an account deleted by hand with foreign keys off leaves nothing to the next account that gets its id', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await signInWithCode(t, c);
    await signOut(c);
    const db = new Database(join(t.dir, 'app.db'));
    db.pragma('foreign_keys = OFF'); // as at the sqlite3 prompt
    db.prepare('DELETE FROM users WHERE email = ?').run(ALICE.email);
    db.prepare('INSERT INTO users (email, phone, password_hash, must_change_password) VALUES (?, ?, ?, 0)').run(BOB.email, BOB.phone, await hashPassword(BOB.password));
    db.close();
    expect(await t.sql('SELECT count(*) AS n FROM remembered_browsers')).toEqual([{ n: 0 }]);
    expect(await t.sql('SELECT count(*) AS n FROM recovery_codes')).toEqual([{ n: 0 }]);
    expect((await passwordStep(c, BOB)).headers.location).toBe('/login/code');
  });

  it('a lowered REMEMBER_DEVICE_DAYS applies to browsers remembered before', async () => {
    const dir = await seededDir();
    const sim = await startVerifySimulator(simulatorOptions());
    try {
      const first = await startTestApp({ api: 'v2', dir, sim, env: { REMEMBER_DEVICE_DAYS: '30' } });
      const c = first.client();
      await signInWithCode(first, c);
      await signOut(c);
      await first.close();
      const second = await startTestApp({ api: 'v2', dir, sim, env: { REMEMBER_DEVICE_DAYS: '7' } });
      try {
        await second.moveClock(Date.now() + 6 * DAY);
        const d = second.client();
        d.jar.copyFrom(c.jar);
        expect((await passwordStep(d)).headers.location).toBe('/'); // within the new 7 days
        await signOut(d);
        await second.moveClock(Date.now() + 2 * DAY); // 8 days after the box was ticked
        expect((await passwordStep(d)).headers.location).toBe('/login/code');
      } finally {
        await second.close();
      }
    } finally {
      vi.useRealTimers();
      await sim.close();
      await removeTestDir(dir);
    }
  });
});
