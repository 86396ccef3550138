// Changing the password at /account/password: the current one is checked under the password
// step's budget, the new one against the rules, and a change ends every other session of the
// account, rotates this one and forgets the account's remembered browsers.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditCount, auditRows } from '../helpers/audit.ts';
import { SEEDED, seedAccount, signInAs } from '../helpers/seeded-account.ts';

const NEW_PASSWORD = 'a brand new passphrase';

async function signedIn(t: TestApp): Promise<TestClient> {
  const c = t.client();
  expect((await c.signIn(t.sim)).headers.location).toBe('/');
  expect((await c.get('/account/password')).statusCode).toBe(200); // the form's CSRF token
  return c;
}

const change = (c: TestClient, current: string, chosen: string) => c.post('/account/password', { current_password: current, new_password: chosen });

describe('changing the password', () => {
  const start = useTestApps();

  it('is reached from the home page and asks for the current password; anonymous visitors sign in first', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    expect((await c.get('/account/password')).headers.location).toBe('/login');
    expect((await c.signIn(t.sim)).headers.location).toBe('/account/password');
    const page = await c.get('/account/password');
    expect(page.body).toContain('<h1>Change your password</h1>');
    expect(page.body).toMatch(/<label for="current_password">[\s\S]*autocomplete="current-password"/);
    expect(page.body).toMatch(/<label for="new_password">[\s\S]*autocomplete="new-password"/);
    expect(page.body).toContain('name="_csrf"');
    expect(page.body).toContain('action="/logout"'); // every signed-in page can sign out
    expect((await c.get('/')).body).toContain('href="/account/password"');
  });

  it('words every rule the change checks in the hint under the new password field', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const hint = /<p id="new_password_rules" class="hint">([^<]*)<\/p>/.exec((await c.get('/account/password')).body)?.[1] ?? '';
    expect(hint).toContain('At least 12 characters');
    expect(hint).toContain('must not contain your email address or the part of it before the @');
    expect(hint).toMatch(/commonly used password \(spaces and letter case are ignored when we compare\)/);
    expect(hint).toContain('must differ from your current one');
  });

  it('refuses a new password that breaks a rule with 400, naming the rule, and keeps the old one', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const cases: Array<[string, RegExp]> = [
      ['short pass1', /at least 12 characters/],
      ['x'.repeat(1025), /at most 1024 characters/],
      ['ALICE@example.com-and-more', /must not contain your email address/],
      ['my name is Alice, ok?', /must not contain your email address/],
      ['qwerty123456', /commonly used passwords/],
      ['LeaveMeAlone', /commonly used passwords/],
      [ALICE.password, /different from your current one/],
    ];
    for (const [chosen, rule] of cases) {
      const res = await change(c, ALICE.password, chosen);
      expect(res.statusCode, chosen).toBe(400);
      expect(res.body).toMatch(/<p class="error" role="alert">/);
      expect(res.body).toMatch(rule);
      expect(res.body).not.toContain(chosen.slice(0, 20)); // never echoed
    }
    expect(await auditCount(t, 'password-changed')).toBe(0);
    await c.post('/logout');
    expect((await t.client().post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/code');
  });

  it('answers a wrong current password with 401 and a generic message, and audits it', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const res = await change(c, 'not my password', NEW_PASSWORD);
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Your current password is not right.');
    expect((await auditRows(t)).filter((row) => row.event === 'password-change-failed')).toMatchObject([{ detail: 'wrong-current-password' }]);
    expect((await c.get('/')).statusCode).toBe(200); // still signed in
  });

  it('checks wrong current passwords under the password budget: of 8 at once, 5 are checked, 3 answer 429', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => change(c, `wrong guess ${i}`, NEW_PASSWORD)));
    expect(all.filter((res) => res.statusCode === 401)).toHaveLength(5);
    const throttled = all.filter((res) => res.statusCode === 429);
    expect(throttled).toHaveLength(3);
    for (const res of throttled) {
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body).toMatch(/Too many password attempts\. Try again in/);
    }
    expect(await auditCount(t, 'password-change-failed')).toBe(5);
    expect(await auditCount(t, 'password-throttled')).toBe(1);
    // the right one is refused too until the window passes: the page is no password oracle
    expect((await change(c, ALICE.password, NEW_PASSWORD)).statusCode).toBe(429);
    await t.moveClock(Date.now() + 16 * 60 * 1000);
    await c.get('/account/password');
    expect((await change(c, ALICE.password, NEW_PASSWORD)).headers.location).toBe('/');
  });

  it('ends every other session of the account (pending ones too) but not this one, whose ID changes', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const other = t.client();
    await other.signIn(t.sim);
    expect((await other.get('/')).statusCode).toBe(200);
    const pending = t.client();
    expect((await pending.post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/code');
    const stale = t.client();
    stale.jar.copyFrom(c.jar); // this browser's cookies before the change
    const someoneElse = t.client();
    await seedAccount(t);
    await signInAs(t, someoneElse, SEEDED);

    const before = c.sessionId();
    const res = await change(c, ALICE.password, NEW_PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(c.sessionId()).toBeDefined();
    expect(c.sessionId()).not.toBe(before);
    expect((await c.get('/')).statusCode).toBe(200);
    expect((await c.get('/account/password')).statusCode).toBe(200); // a new CSRF secret, and forms work
    expect((await c.post('/logout')).headers.location).toBe('/login');

    expect((await other.get('/')).headers.location).toBe('/login');
    expect((await pending.get('/login/code')).headers.location).toBe('/login');
    expect((await stale.get('/')).headers.location).toBe('/login');
    expect((await someoneElse.get('/')).headers.location).toBe('/account/password'); // another account: untouched
    const [changed] = (await auditRows(t)).filter((row) => row.event === 'password-changed');
    expect(changed).toMatchObject({ detail: 'other-sessions-ended 2' });
    expect(changed.user_id).toEqual((await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]))[0].id);
  });

  it('the new password works at /login and the old one no longer does', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await change(c, ALICE.password, NEW_PASSWORD);
    const old = await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
    expect(old.statusCode).toBe(401);
    const fresh = t.client();
    expect((await fresh.signIn(t.sim, ALICE.email, NEW_PASSWORD)).headers.location).toBe('/');
    expect((await fresh.get('/')).body).toContain(ALICE.email);
  });

  it("forgets the account's remembered browsers (and only its own)", async () => {
    const t = await start({ api: 'v2' });
    const samId = await seedAccount(t);
    const [{ id: aliceId }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    const later = Date.now() + 24 * 60 * 60 * 1000;
    for (const [token, userId] of [['a1', aliceId], ['a2', aliceId], ['s1', samId]] as const) {
      await t.sql('INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [token, userId, Date.now(), later]);
    }
    const c = await signedIn(t);
    await change(c, ALICE.password, NEW_PASSWORD);
    expect(await t.sql('SELECT token_hash FROM remembered_browsers ORDER BY token_hash')).toEqual([{ token_hash: 's1' }]);
  });

  it('of two changes sent at once with the right current password, exactly one wins', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const [first, second] = await Promise.all([change(c, ALICE.password, 'first new passphrase'), change(c, ALICE.password, 'second new passphrase')]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([303, 401]);
    const winner = first.statusCode === 303 ? 'first new passphrase' : 'second new passphrase';
    const loser = first.statusCode === 303 ? 'second new passphrase' : 'first new passphrase';
    expect(await auditCount(t, 'password-changed')).toBe(1);
    expect((await t.client().post('/login', { email: ALICE.email, password: loser })).statusCode).toBe(401);
    expect((await t.client().post('/login', { email: ALICE.email, password: winner })).headers.location).toBe('/login/code');
  });

  it('refuses a form without its CSRF token', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const res = await c.post('/account/password', { _csrf: '', current_password: ALICE.password, new_password: NEW_PASSWORD });
    expect(res.statusCode).toBe(403);
    expect(await auditCount(t, 'password-changed')).toBe(0);
  });
});
