// Recovery codes: issued at the first full sign-in, which still goes straight to its destination,
// and shown once on the first full page that session gets; accepted on the code page instead of
// the Verify code (at the same code budget), each spent once, however many requests try.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { Api } from '../helpers/test-app.ts';
import { auditCount, auditRows } from '../helpers/audit.ts';
import { requestUrl } from '../helpers/cookie-jar.ts';
import { expectCodesPanel, expectNoCodes, firstSignIn, hasRecoveryCodeShape, isCancel, isCheck, notOneOf, pendingClient } from '../helpers/recovery-codes.ts';

describe('recovery codes', () => {
  const start = useTestApps();
  const unusedCount = async (t: Awaited<ReturnType<typeof start>>) =>
    Number((await t.sql('SELECT count(*) AS n FROM recovery_codes WHERE used_at IS NULL'))[0].n);

  it('the first full sign-in goes to the deep link, which shows ten codes once, kept only as hashes', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const c = t.client();
    expect((await c.get('/account/recovery-codes')).headers.location).toBe('/login');
    expect((await c.get('/?tab=settings')).headers.location).toBe('/login');
    await pendingClient(t, c);
    const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/?tab=settings');
    expect(hasRecoveryCodeShape(done.body)).toBe(false);
    expect(await auditCount(t, 'recovery-codes-issued')).toBe(1);

    const page = await c.get('/?tab=settings');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>You are signed in</h1>');
    expect(page.body).toContain(ALICE.email);
    const codes = expectCodesPanel(page.body);
    const rows = await t.sql('SELECT code_hash, used_at FROM recovery_codes');
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.used_at).toBeNull();
      expect(hasRecoveryCodeShape(String(row.code_hash))).toBe(false);
    }

    const reload = await c.get('/?tab=settings');
    expect(reload.statusCode).toBe(200);
    expect(reload.body).toContain(ALICE.email);
    expectNoCodes(reload.body);
    const manage = await c.get('/account/recovery-codes');
    expectNoCodes(manage.body);
    expect(manage.body).toContain('<strong>10</strong> unused recovery codes');

    // Nowhere else: not in a cookie, a URL or a log line.
    const logs = t.logs.join('\n');
    for (const code of codes) {
      expect(logs).not.toContain(code);
      expect(logs).not.toContain(code.replaceAll(' ', ''));
    }
    expect(hasRecoveryCodeShape(c.jar.all().join('\n'))).toBe(false);

    // The account has codes now: a later sign-in goes straight on, issues none and shows none.
    const later = await pendingClient(t);
    expect((await later.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    expectNoCodes((await later.get('/')).body);
    expect(await t.sql('SELECT 1 FROM recovery_codes')).toHaveLength(10);
    expect(await auditCount(t, 'recovery-codes-issued')).toBe(1);
  });

  it('the codes wait for a full page: a 404, a HEAD request or a redirect leaves them for the next one', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const c = await pendingClient(t);
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    const missing = await c.get('/no-such-page');
    expect(missing.statusCode).toBe(404);
    expectNoCodes(missing.body);
    const head = await t.app.inject({ method: 'HEAD', url: '/', cookies: c.jar.cookiesFor(requestUrl('/')) });
    expect(head.statusCode).toBe(200);
    expect((await c.get('/login')).headers.location).toBe('/'); // signed in: a redirect, no page

    const sessions = await c.get('/account/sessions');
    expect(sessions.statusCode).toBe(200);
    expect(sessions.body).toContain('<h1>Your sessions</h1>');
    expectCodesPanel(sessions.body);
    expectNoCodes((await c.get('/account/sessions')).body);
    expectNoCodes((await c.get('/')).body);
  });

  it('on the recovery-codes page itself the pending codes are shown once, above its own content', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const c = await pendingClient(t);
    await c.get('/account/recovery-codes'); // pending: remembered for after the code
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/account/recovery-codes');
    const page = await c.get('/account/recovery-codes');
    expect(page.statusCode).toBe(200);
    expectCodesPanel(page.body);
    expect(page.body).toContain('<strong>10</strong> unused recovery codes');
    expectNoCodes((await c.get('/account/recovery-codes')).body);
  });

  it('codes waiting in one browser\'s session are shown only there', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const first = await pendingClient(t);
    expect((await first.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    const second = await pendingClient(t);
    expect((await second.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    expectNoCodes((await second.get('/')).body);
    expectCodesPanel((await first.get('/')).body);
  });

  it.each<Api>(['v2', 'legacy'])(
    'over %s: a recovery code signs in instead of the Verify code (no check call, the request cancelled), and home says how many are left',
    async (api) => {
      const t = await start({ api });
      const { codes } = await firstSignIn(t);
      const c = await pendingClient(t);
      const pendingSid = c.sessionId();
      const callsBefore = t.sim.requests.length;
      const done = await c.post('/login/code', { code: codes[3].replaceAll(' ', '-') });
      expect(done.statusCode).toBe(303);
      expect(done.headers.location).toBe('/');
      expect(c.sessionId()).not.toBe(pendingSid);
      const calls = t.sim.requests.slice(callsBefore);
      expect(calls.filter(isCheck)).toHaveLength(0);
      expect(calls.filter(isCancel)).toHaveLength(1); // attempted (legacy refuses it in the first 30 s)

      const home = await c.get('/');
      expect(home.statusCode).toBe(200);
      expect(home.body).toContain('You signed in with a recovery code. 9 codes left.');
      expect((await c.get('/')).body).not.toContain('You signed in with a recovery code');
      const used = (await auditRows(t)).filter((row) => row.event === 'recovery-code-used');
      expect(used).toMatchObject([{ detail: '9 left', ip: expect.any(String) }]);
      expect(await auditCount(t, 'code-ok')).toBe(1); // the first sign-in's, with the Verify code
    },
  );

  it('a used code never works again; the others still do', async () => {
    const t = await start({ api: 'v2' });
    const { codes } = await firstSignIn(t);
    const first = await pendingClient(t);
    expect((await first.post('/login/code', { code: codes[0] })).headers.location).toBe('/');

    const second = await pendingClient(t);
    const again = await second.post('/login/code', { code: codes[0].replaceAll(' ', '') });
    expect(again.statusCode).toBe(401);
    expect(again.body).toContain('That recovery code is wrong or has already been used.');
    expect((await second.get('/')).headers.location).toBe('/login/code');
    expect(await auditCount(t, 'recovery-code-failed')).toBe(1);

    expect((await second.post('/login/code', { code: codes[1] })).headers.location).toBe('/');
    expect((await second.get('/')).body).toContain('You signed in with a recovery code. 8 codes left.');
    expect(await unusedCount(t)).toBe(8);
  });

  it('the same recovery code from two browsers at once signs in exactly one of them', async () => {
    const t = await start({ api: 'v2' });
    const { codes } = await firstSignIn(t);
    const browsers = [await pendingClient(t), await pendingClient(t)];
    const answers = await Promise.all(browsers.map((b) => b.post('/login/code', { code: codes[5] })));
    expect(answers.filter((res) => res.statusCode === 303 && res.headers.location === '/')).toHaveLength(1);
    expect([401, 429]).toContain(answers.find((res) => res.statusCode !== 303)?.statusCode);
    const homes = await Promise.all(browsers.map((b) => b.get('/')));
    expect(homes.filter((res) => res.statusCode === 200)).toHaveLength(1);
    expect(await unusedCount(t)).toBe(9);
    expect(await auditCount(t, 'recovery-code-used')).toBe(1);
  });

  it('in the store, one statement spends a code and one transaction issues the first set, however many run at once', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const store = t.app.backends.database.recoveryCodes;
    const id = Number((await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]))[0].id);
    const sets = Array.from({ length: 8 }, (_, i) => Array.from({ length: 10 }, (_, j) => `hash-${i}-${j}`));
    const issued = await Promise.all(sets.map((hashes) => store.insertIfNone(id, hashes, Date.now())));
    expect(issued.filter(Boolean)).toHaveLength(1);
    expect(await t.sql('SELECT 1 FROM recovery_codes')).toHaveLength(10);

    const hash = sets[issued.indexOf(true)][0];
    const spent = await Promise.all(Array.from({ length: 8 }, () => store.markUsed(id, hash, Date.now())));
    expect(spent.filter(Boolean)).toHaveLength(1);
    expect(await store.unusedCount(id)).toBe(9);
    expect(await store.markUsed(id, hash, Date.now())).toBe(false);
  });

  it('a wrong recovery code counts as a wrong code: after ten, even a right code answers 429, and Verify was never asked', async () => {
    const t = await start({ api: 'v2' });
    const { codes } = await firstSignIn(t);
    const c = await pendingClient(t);
    const checksBefore = t.sim.requests.filter(isCheck).length;
    for (let i = 0; i < 10; i++) expect((await c.post('/login/code', { code: notOneOf(codes) })).statusCode).toBe(401);
    const refused = await c.post('/login/code', { code: codes[0] });
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain('Too many wrong codes for this account');
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).statusCode).toBe(429);
    expect(t.sim.requests.filter(isCheck)).toHaveLength(checksBefore);
    expect(await auditCount(t, 'recovery-code-failed')).toBe(10);
    expect(await unusedCount(t)).toBe(10);
  });

  it('an account that must change its password is sent to change it, and that page shows its new codes', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('UPDATE users SET must_change_password = 1 WHERE email = $1', [ALICE.email]);
    await t.sql('DELETE FROM recovery_codes');
    const c = await pendingClient(t);
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    const gate = await c.get('/');
    expect(gate.statusCode).toBe(303);
    expect(gate.headers.location).toBe('/account/password');
    expectNoCodes(gate.body);
    expect((await c.get('/account/recovery-codes')).headers.location).toBe('/account/password'); // no way around the gate
    const password = await c.get('/account/password');
    expect(password.statusCode).toBe(200);
    expect(password.body).toContain('<h1>Choose a new password</h1>');
    expectCodesPanel(password.body);
    expectNoCodes((await c.get('/account/password')).body);
  });

  it('the code page tells the phoneless about recovery codes, and its field takes one grouped', async () => {
    const t = await start({ api: 'v2' });
    const page = await (await pendingClient(t)).get('/login/code');
    expect(page.body).toContain('Lost your phone? Enter one of your recovery codes.');
    expect(page.body).toMatch(/<input id="code"[^>]* maxlength="24"[^>]* aria-describedby="code-hint"/);
  });
});
