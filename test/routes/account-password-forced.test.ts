// A seeded password is temporary (ASVS 6.4.1): an account an admin inserted with the contract's
// INSERT (must_change_password defaults to 1) reaches no protected page but /account/password
// until it has chosen its own; rows inserted with 0, and the demo account, are exempt.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { SEEDED, follow, seedAccount, signInAs } from '../helpers/seeded-account.ts';
import { expectCodesPanel, expectNoCodes } from '../helpers/recovery-codes.ts';

describe('a seeded account must change its password', () => {
  const start = useTestApps();

  it('after its first full sign-in every protected page sends it to /account/password, keeping the deep link', async () => {
    const t = await start({ api: 'v2' });
    const id = await seedAccount(t);
    const c = t.client();
    expect((await c.get('/?tab=deep')).headers.location).toBe('/login');
    // the code step answers as ever (the page first asked for); the gate then bounces it
    expect((await signInAs(t, c, SEEDED)).headers.location).toBe('/?tab=deep');
    for (const path of ['/', '/?other=1', '/?tab=deep']) {
      const res = await c.get(path);
      expect(res.statusCode, path).toBe(303);
      expect(res.headers.location).toBe('/account/password');
    }
    const page = await c.get('/account/password');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Choose a new password');
    expect(page.body).toContain('action="/logout"');
    expect(page.body).not.toContain('Signed in as');

    const change = await c.post('/account/password', { current_password: SEEDED.password, new_password: 'my very own passphrase' });
    expect(change.statusCode).toBe(303);
    expect(change.headers.location).toBe('/?tab=deep');
    const home = await c.get('/?tab=deep');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(SEEDED.email);
    expect(home.body).toContain('Your password has been changed.');
    expect((await c.get('/')).body).not.toContain('Your password has been changed.'); // shown once
    expect(await t.sql('SELECT must_change_password AS m FROM users WHERE id = $1', [id])).toEqual([{ m: 0 }]);
    expect((await auditRows(t)).filter((row) => row.event === 'password-changed')).toMatchObject([{ user_id: id }]);
  });

  it('with no page remembered it lands on / after the change; a later sign-in is not sent there again', async () => {
    const t = await start({ api: 'v2' });
    await seedAccount(t);
    const c = t.client();
    expect((await signInAs(t, c, SEEDED)).headers.location).toBe('/');
    expect((await c.get('/')).headers.location).toBe('/account/password');
    await c.get('/account/password');
    await c.post('/account/password', { current_password: SEEDED.password, new_password: 'my very own passphrase' });
    expect((await c.get('/')).statusCode).toBe(200);
    await c.post('/logout');
    const again = t.client();
    expect((await signInAs(t, again, { ...SEEDED, password: 'my very own passphrase' })).headers.location).toBe('/');
    expect((await again.get('/')).statusCode).toBe(200);
  });

  it('can sign out from the password page, and must still change it at the next sign-in', async () => {
    const t = await start({ api: 'v2' });
    await seedAccount(t);
    const c = t.client();
    await signInAs(t, c, SEEDED);
    await c.get('/account/password');
    expect((await c.post('/logout')).headers.location).toBe('/login');
    expect((await c.get('/')).headers.location).toBe('/login');
    const again = t.client();
    await signInAs(t, again, SEEDED);
    expect((await again.get('/')).headers.location).toBe('/account/password');
  });

  it('an account inserted with must_change_password 0 is exempt (as the test seed inserts Alice)', async () => {
    const t = await start({ api: 'v2' });
    expect(await t.sql('SELECT must_change_password AS m FROM users WHERE email = $1', [ALICE.email])).toEqual([{ m: 0 }]);
    const c = t.client();
    expect((await c.signIn(t.sim)).headers.location).toBe('/');
    expect((await c.get('/')).statusCode).toBe(200);
  });

  it('a first sign-in goes to the deep link, the gate to the password page, which shows the new recovery codes once', async () => {
    const t = await start({ api: 'v2' });
    await seedAccount(t, SEEDED, { hadRecoveryCodes: false });
    const c = t.client();
    await c.get('/?tab=deep');
    const done = await signInAs(t, c, SEEDED);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/?tab=deep');
    // The recovery-codes page is behind the gate like every other protected page.
    expect((await c.get('/account/recovery-codes')).headers.location).toBe('/account/password');
    const gate = await c.get('/?tab=deep'); // the page asked for last is the one kept for after the change
    expect(gate.statusCode).toBe(303);
    expect(gate.headers.location).toBe('/account/password');
    expectNoCodes(gate.body);
    const page = await c.get('/account/password');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Choose a new password</h1>');
    expectCodesPanel(page.body);
    const reload = await c.get('/account/password');
    expect(reload.body).toContain('<h1>Choose a new password</h1>');
    expectNoCodes(reload.body);
    const change = await c.post('/account/password', { current_password: SEEDED.password, new_password: 'my very own passphrase' });
    expect(change.headers.location).toBe('/?tab=deep');
    const home = await c.get('/?tab=deep');
    expect(home.body).toContain(SEEDED.email);
    expectNoCodes(home.body);
    expect((await c.get('/account/recovery-codes')).body).toContain('<strong>10</strong> unused recovery codes');
  });

  it('the demo account is exempt: demo mode signs in and is never sent to the password page', async () => {
    const t = await start({ api: 'v2', env: { VERIFY_API: 'demo' } });
    expect(await t.sql("SELECT must_change_password AS m FROM users WHERE email = 'demo@example.com'")).toEqual([{ m: 0 }]);
    const c = t.client();
    expect((await c.post('/login', { email: 'demo@example.com', password: 'demo-password' })).headers.location).toBe('/login/code');
    await c.get('/login/code');
    const code = /DEMO MODE: code (\d+) sent/.exec(t.logs.join(''))?.[1];
    expect(code).toBeDefined();
    const done = await c.post('/login/code', { code: code as string });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/');
    const { visited, res } = await follow(c, '/');
    expect(visited).toEqual(['/']);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('demo@example.com');
    expectCodesPanel(res.body); // its first full sign-in: new recovery codes, on the home page
    expectNoCodes((await c.get('/')).body);
  });
});
