// "Remember this browser": a ticked box at the code step lets the same browser skip the code (never
// the password) at its next sign-in to the same account, for REMEMBER_DEVICE_DAYS. The token is
// rotated on every use, so two requests with one cookie skip the code once between them. What
// forgets it, and its cookie in production: remember-browser-revocation.test.ts.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import { auditCount, auditRows } from '../helpers/audit.ts';
import {
  BOB, DAY, addBob, expectSignedIn, passwordStep, rememberedRows, setCookies, sha256, signInWithCode, signOut, verifyStarts,
} from '../helpers/remembering.ts';

describe('remember this browser', () => {
  const start = useTestApps();

  it('offers an unticked "Remember this browser for 30 days" box; left unticked, the next sign-in asks for a code again', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await passwordStep(c);
    const page = (await c.get('/login/code')).body;
    expect(page).toMatch(/<label class="check"><input type="checkbox" name="remember" value="1"> Remember this browser for 30 days<\/label>/);
    expect(page).not.toMatch(/name="remember"[^>]*checked/);
    const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expectSignedIn(done);
    expect(setCookies(done).some((h) => h.startsWith('remember='))).toBe(false);
    expect(await rememberedRows(t)).toEqual([]);
    await signOut(c);
    expect((await passwordStep(c)).headers.location).toBe('/login/code');
  });

  it('ticked: stores only the token hash, then skips the code at the next password step with a new session, a new CSRF secret and a rotated token', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    const before = Date.now();
    const done = await signInWithCode(t, c);
    const header = setCookies(done).find((h) => h.startsWith('remember=')) as string;
    expect(header).toMatch(/^remember=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    const token = c.jar.cookies.remember;
    const [row] = await rememberedRows(t);
    const [{ id }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    expect(row.token_hash).toBe(sha256(token));
    expect(Number(row.user_id)).toBe(Number(id));
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(30 * DAY);
    expect(Number(row.created_at)).toBeGreaterThanOrEqual(before);
    expect(await auditCount(t, 'browser-remembered')).toBe(1);

    await signOut(c);
    const loginPage = await c.get('/login');
    const staleCsrf = /name="_csrf" value="([^"]+)"/.exec(loginPage.body)![1];
    const anonymousSid = c.sessionId();
    const starts = verifyStarts(t);
    const skipped = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(skipped.statusCode).toBe(303);
    expect(skipped.headers.location).toBe('/');
    expect(verifyStarts(t)).toBe(starts); // no code sent
    expect(c.sessionId()).toBeDefined();
    expect(c.sessionId()).not.toBe(anonymousSid);
    expect((await c.get('/')).statusCode).toBe(200);
    // the login page's token belonged to the anonymous CSRF secret: the signed-in session has its own
    const stale = await t.app.inject({ method: 'POST', url: '/logout', cookies: c.jar.cookiesFor('/logout'), payload: `_csrf=${encodeURIComponent(staleCsrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(stale.statusCode).toBe(403);

    const rotated = c.jar.cookies.remember;
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(token);
    const rows = await rememberedRows(t);
    expect(rows.map((r) => r.token_hash)).toEqual([sha256(rotated)]);
    expect(Number(rows[0].expires_at)).toBe(Number(row.expires_at)); // rotation keeps the original expiry
    const events = (await auditRows(t)).map((r) => r.event);
    expect(events.slice(-2)).toEqual(['password-ok', 'code-skipped-remembered-browser']);
    expect(await auditCount(t, 'code-skipped-remembered-browser')).toBe(1);
  });

  it('still asks for the password: a wrong one answers 401 and leaves the remembered browser as it was', async () => {
    const t = await start({ api: 'legacy' });
    const c = t.client();
    await signInWithCode(t, c);
    await signOut(c);
    const token = c.jar.cookies.remember;
    await c.get('/login');
    expect((await c.post('/login', { email: ALICE.email, password: 'wrong password' })).statusCode).toBe(401);
    expect(c.jar.cookies.remember).toBe(token);
    expect((await rememberedRows(t)).map((r) => r.token_hash)).toEqual([sha256(token)]);
    expect((await passwordStep(c)).headers.location).toBe('/');
  });

  it('a copied cookie works once: after either browser used it, the other gets the code step and its cookie cleared', async () => {
    const t = await start({ api: 'v2' });
    const a = t.client();
    await signInWithCode(t, a);
    await signOut(a);
    const b = t.client();
    b.jar.set(`remember=${a.jar.cookies.remember}; Path=/; HttpOnly`);
    expect((await passwordStep(a)).headers.location).toBe('/');
    const refused = await passwordStep(b);
    expect(refused.headers.location).toBe('/login/code');
    expect(setCookies(refused).some((h) => /^remember=;/.test(h))).toBe(true);
    expect(b.jar.cookies.remember).toBeUndefined();
    expect(await rememberedRows(t)).toHaveLength(1);
  });

  it('two password steps in parallel with the same token: exactly one skips the code', async () => {
    const t = await start({ api: 'v2' });
    const a = t.client();
    await signInWithCode(t, a);
    await signOut(a);
    const b = t.client();
    b.jar.set(`remember=${a.jar.cookies.remember}; Path=/; HttpOnly`);
    await Promise.all([a.get('/login'), b.get('/login')]);
    const starts = verifyStarts(t);
    const answers = await Promise.all([a, b].map((c) => c.post('/login', { email: ALICE.email, password: ALICE.password })));
    expect(answers.map((r) => r.headers.location).sort()).toEqual(['/', '/login/code']);
    expect(verifyStarts(t)).toBe(starts + 1);
    expect(await auditCount(t, 'code-skipped-remembered-browser')).toBe(1);
    expect(await rememberedRows(t)).toHaveLength(1);
  });

  it("another account's token is neither used nor touched: the code is asked and the cookie cleared", async () => {
    const t = await start({ api: 'v2' });
    await addBob(t);
    const c = t.client();
    await signInWithCode(t, c, { who: BOB });
    await signOut(c);
    const bobsRow = await rememberedRows(t);
    const answer = await passwordStep(c, ALICE);
    expect(answer.headers.location).toBe('/login/code');
    expect(c.jar.cookies.remember).toBeUndefined();
    expect(await rememberedRows(t)).toEqual(bobsRow);
  });

  it('an unknown or malformed token gets the code step and a cleared cookie', async () => {
    const t = await start({ api: 'v2' });
    for (const value of ['A'.repeat(43), 'not-a-token', '']) {
      const c = t.client();
      if (value) c.jar.set(`remember=${value}; Path=/`);
      expect((await passwordStep(c)).headers.location).toBe('/login/code');
      expect(c.jar.cookies.remember).toBeUndefined();
    }
  });

  it('expires after REMEMBER_DEVICE_DAYS (the cookie and the row), and expired rows are pruned', async () => {
    const t = await start({ api: 'v2', env: { REMEMBER_DEVICE_DAYS: '2' } });
    const c = t.client();
    await passwordStep(c);
    expect((await c.get('/login/code')).body).toContain('Remember this browser for 2 days');
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string, remember: '1' });
    const token = c.jar.cookies.remember;
    await signOut(c);
    await t.moveClock(Date.now() + 2 * DAY - 60_000);
    expect((await passwordStep(c)).headers.location).toBe('/'); // still live a minute before
    await signOut(c);
    const rotated = c.jar.cookies.remember;
    await t.moveClock(Date.now() + 2 * 60_000);
    expect(c.jar.cookies.remember).toBeUndefined(); // the browser dropped it (Max-Age)
    c.jar.set(`remember=${rotated}; Path=/`); // one kept past its Max-Age is refused too
    expect((await passwordStep(c)).headers.location).toBe('/login/code');
    expect(token).not.toBe(rotated);
    expect(await rememberedRows(t)).toHaveLength(1); // expired, not yet pruned
    expect(await t.app.backends.database.rememberedBrowsers.pruneExpired()).toBe(1);
    expect(await rememberedRows(t)).toEqual([]);
  });

  it('REMEMBER_DEVICE_DAYS=0 turns it off: no box, a ticked one sets nothing, an old cookie is ignored', async () => {
    const t = await start({ api: 'v2', env: { REMEMBER_DEVICE_DAYS: '0' } });
    const c = t.client();
    await passwordStep(c);
    expect((await c.get('/login/code')).body).not.toContain('name="remember"');
    const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string, remember: '1' });
    expectSignedIn(done);
    expect(c.jar.cookies.remember).toBeUndefined();
    expect(await rememberedRows(t)).toEqual([]);
    expect(await auditCount(t, 'browser-remembered')).toBe(0);
    await signOut(c);
    const [{ id }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    await t.sql('INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [sha256('B'.repeat(43)), id, Date.now(), Date.now() + DAY]);
    c.jar.set(`remember=${'B'.repeat(43)}; Path=/`);
    expect((await passwordStep(c)).headers.location).toBe('/login/code');
  });

  it('a remembered sign-in still goes where the user was going', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await signInWithCode(t, c);
    await signOut(c);
    expect((await c.get('/account/sessions')).headers.location).toBe('/login');
    expect((await passwordStep(c)).headers.location).toBe('/account/sessions');
  });

  it('no token or session ID reaches a page or a log line', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    const bodies: string[] = [];
    const seen: string[] = [];
    const keep = <R extends { body: string }>(res: R) => (bodies.push(res.body), res);
    const note = () => {
      if (c.jar.cookies.remember) seen.push(c.jar.cookies.remember);
      const sid = c.sessionId();
      if (sid) seen.push(sid.split('.')[0]);
    };
    keep(await c.get('/login'));
    keep(await c.post('/login', { email: ALICE.email, password: ALICE.password }));
    note();
    keep(await c.get('/login/code'));
    keep(await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string, remember: '1' }));
    note();
    for (const url of ['/', '/account/sessions']) keep(await c.get(url));
    keep(await c.post('/logout'));
    keep(await c.get('/login'));
    keep(await c.post('/login', { email: ALICE.email, password: ALICE.password }));
    note();
    for (const url of ['/', '/account/sessions']) keep(await c.get(url));
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (const secret of seen) {
      for (const body of bodies) expect(body).not.toContain(secret);
      for (const line of t.logs) expect(line).not.toContain(secret);
    }
  });
});
