// "Your sessions" (GET /account/sessions): the signed-in account's browsers, newest first, this one
// marked; one of them ended by its handle (never by its session ID, never another account's), or
// every other one at once, which also forgets every remembered browser of the account.
import { describe, expect, it } from 'vitest';
import { ALICE, createTestClient, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditCount, auditRows } from '../helpers/audit.ts';
import { BOB, HTTPS, addBob } from '../helpers/remembering.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** A browser signed in to `who` through both steps (ticking "Remember this browser" when asked). */
async function signedInBrowser(t: TestApp, userAgent: string, { who = ALICE, remember = false, headers = {} as Record<string, string> } = {}) {
  const c = createTestClient(t.app, { 'user-agent': userAgent, ...headers });
  await c.get('/login');
  expect((await c.post('/login', { email: who.email, password: who.password })).headers.location).toBe('/login/code');
  await c.get('/login/code');
  const done = await c.post('/login/code', { code: t.sim.lastCode(who.phone) as string, ...(remember ? { remember: '1' } : {}) });
  expect(done.statusCode).toBe(303);
  expect(done.headers.location).not.toMatch(/^\/login/);
  return c;
}

/**
 * The page's sessions: each `<li>` of its list as its text, and the handle its end form carries (if
 * any). Only the list's: a first sign-in's page also lists its new recovery codes, above it.
 */
function sessionsOn(page: string) {
  const html = page.slice(page.indexOf('<ul class="sessions">'));
  return [...html.matchAll(/<li( class="current")?>([\s\S]*?)<\/li>/g)].map((m) => ({
    current: Boolean(m[1]),
    text: m[2].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
    handle: /name="session" value="([^"]+)"/.exec(m[2])?.[1],
  }));
}

const isSignedIn = async (c: TestClient) => (await c.get('/')).statusCode === 200;

describe('your sessions', () => {
  const start = useTestApps();

  it('lists the signed-in browsers, newest first, with start, last seen, address and browser name; this one marked; pending ones left out', async () => {
    const t = await start({ api: 'v2' });
    const firefox = await signedInBrowser(t, FIREFOX);
    const chrome = await signedInBrowser(t, CHROME);
    const pending = createTestClient(t.app);
    await pending.post('/login', { email: ALICE.email, password: ALICE.password });
    expect((await firefox.get('/')).body).toContain('<a href="/account/sessions">Your sessions</a>');

    const page = await firefox.get('/account/sessions');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Your sessions</h1>');
    const listed = sessionsOn(page.body);
    expect(listed).toHaveLength(2);
    expect(listed[0].text).toMatch(/^Chrome 131 on Windows Signed in \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC Last seen just now Address 127\.0\.0\.1 Sign out Chrome 131/);
    expect(listed[0].current).toBe(false);
    expect(listed[0].handle).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(listed[1].text).toMatch(/^Firefox 133 on Linux \(this browser\) Signed in .* UTC Last seen now Address 127\.0\.0\.1$/);
    expect(listed[1].current).toBe(true);
    expect(listed[1].handle).toBeUndefined(); // this one is ended with "Sign out", not here
    expect(page.body).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
    // no session ID of any browser reaches the page
    for (const c of [firefox, chrome, pending]) expect(page.body).not.toContain((c.sessionId() as string).split('.')[0]);
  });

  it('says when a browser was last seen', async () => {
    const t = await start({ api: 'v2' });
    const firefox = await signedInBrowser(t, FIREFOX);
    await signedInBrowser(t, CHROME);
    await t.moveClock(Date.now() + 7 * 60_000);
    expect((await firefox.get('/account/sessions')).body).toMatch(/Chrome 131 on Windows[\s\S]*Last seen<\/dt>\s*<dd><time datetime="[^"]+">7 minutes ago</);
  });

  it('ends one other browser by its handle: it is out on its next request, this one stays in', async () => {
    const t = await start({ api: 'v2' });
    const firefox = await signedInBrowser(t, FIREFOX);
    const chrome = await signedInBrowser(t, CHROME);
    const [chromeRow] = sessionsOn((await firefox.get('/account/sessions')).body);
    const ended = await firefox.post('/account/sessions/end', { session: chromeRow.handle as string });
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe('/account/sessions');
    const after = await firefox.get('/account/sessions');
    expect(after.body).toContain('That browser has been signed out.');
    expect(sessionsOn(after.body).map((s) => s.current)).toEqual([true]);
    expect((await chrome.get('/')).headers.location).toBe('/login');
    expect(await isSignedIn(firefox)).toBe(true);
    const [row] = (await auditRows(t)).filter((r) => r.event === 'session-revoked');
    expect(row).toMatchObject({ user_agent: FIREFOX });
    expect(row.user_id).not.toBeNull();
    // the same handle again: nothing left to end
    await firefox.get('/account/sessions');
    await firefox.post('/account/sessions/end', { session: chromeRow.handle as string });
    expect((await firefox.get('/account/sessions')).body).toContain('That session had already ended.');
    expect(await auditCount(t, 'session-revoked')).toBe(1);
  });

  it("never ends another account's session, an unknown one or this one", async () => {
    const t = await start({ api: 'v2' });
    await addBob(t);
    const alice = await signedInBrowser(t, FIREFOX);
    const bob = await signedInBrowser(t, CHROME, { who: BOB });
    const bobsOther = await signedInBrowser(t, CHROME, { who: BOB });
    const [bobsHandle] = sessionsOn((await bob.get('/account/sessions')).body).filter((s) => !s.current).map((s) => s.handle);
    expect(bobsHandle).toBeDefined();
    const ownHandle = /name="session" value="([^"]+)"/.exec((await bob.get('/account/sessions')).body)![1];
    expect(ownHandle).toBe(bobsHandle);

    await alice.get('/account/sessions');
    for (const handle of [bobsHandle as string, 'no-such-handle', '']) {
      const answer = await alice.post('/account/sessions/end', { session: handle });
      expect(answer.headers.location).toBe('/account/sessions');
      expect((await alice.get('/account/sessions')).body).toContain('That session had already ended.');
    }
    expect(await isSignedIn(bob)).toBe(true);
    expect(await isSignedIn(bobsOther)).toBe(true);

    // this browser's own handle (not on its page, but another of Alice's browsers shows it) is refused
    const aliceElsewhere = await signedInBrowser(t, CHROME);
    const [aliceHandle] = sessionsOn((await aliceElsewhere.get('/account/sessions')).body).filter((s) => !s.current).map((s) => s.handle);
    await alice.get('/account/sessions');
    expect((await alice.post('/account/sessions/end', { session: aliceHandle as string })).headers.location).toBe('/account/sessions');
    expect((await alice.get('/account/sessions')).body).toContain('That is the browser you are using: sign out to end its session.');
    expect(await auditCount(t, 'session-revoked')).toBe(0);
    expect(await isSignedIn(alice)).toBe(true);
    expect(await isSignedIn(aliceElsewhere)).toBe(true);
  });

  it('answers 403 without the CSRF token, and sends a visitor who is not signed in to /login', async () => {
    const t = await start({ api: 'v2' });
    const firefox = await signedInBrowser(t, FIREFOX);
    const chrome = await signedInBrowser(t, CHROME);
    const [chromeRow] = sessionsOn((await firefox.get('/account/sessions')).body);
    for (const url of ['/account/sessions/end', '/account/sessions/end-others']) {
      const forged = await t.app.inject({
        method: 'POST', url, cookies: firefox.jar.cookiesFor(url),
        headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `session=${chromeRow.handle}`,
      });
      expect(forged.statusCode).toBe(403);
    }
    expect(await isSignedIn(chrome)).toBe(true);
    const visitor = t.client();
    expect((await visitor.get('/account/sessions')).headers.location).toBe('/login');
    expect((await visitor.post('/account/sessions/end-others')).headers.location).toBe('/login');
  });

  it('two requests ending the same browser in parallel end it once', async () => {
    const t = await start({ api: 'v2' });
    const firefox = await signedInBrowser(t, FIREFOX);
    const chrome = await signedInBrowser(t, CHROME);
    const [chromeRow] = sessionsOn((await firefox.get('/account/sessions')).body);
    const answers = await Promise.all([1, 2].map(() => firefox.post('/account/sessions/end', { session: chromeRow.handle as string })));
    expect(answers.map((a) => a.statusCode)).toEqual([303, 303]);
    expect(await auditCount(t, 'session-revoked')).toBe(1);
    expect(await isSignedIn(chrome)).toBe(false);
    expect(await isSignedIn(firefox)).toBe(true);
  });

  it('"Sign out all other browsers" ends every other session, pending ones too, and forgets every remembered browser of the account only', async () => {
    const t = await start({ api: 'v2' });
    await addBob(t);
    const firefox = await signedInBrowser(t, FIREFOX, { remember: true });
    const chrome = await signedInBrowser(t, CHROME, { remember: true });
    const bob = await signedInBrowser(t, CHROME, { who: BOB, remember: true });
    const pending = createTestClient(t.app);
    await pending.post('/login', { email: ALICE.email, password: ALICE.password });
    expect((await pending.get('/login/code')).statusCode).toBe(200);
    const [{ id: aliceId }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    const remembered = async (id: unknown) => Number((await t.sql('SELECT count(*) AS n FROM remembered_browsers WHERE user_id = $1', [id]))[0].n);
    expect(await remembered(aliceId)).toBe(2);

    await firefox.get('/account/sessions');
    const answer = await firefox.post('/account/sessions/end-others');
    expect(answer.headers.location).toBe('/account/sessions');
    expect(([] as string[]).concat(answer.headers['set-cookie'] ?? []).some((h) => /^remember=;/.test(h))).toBe(true);
    const after = await firefox.get('/account/sessions');
    expect(after.body).toContain('Every other browser has been signed out');
    expect(sessionsOn(after.body).map((s) => s.current)).toEqual([true]);
    expect(await isSignedIn(firefox)).toBe(true);
    expect((await chrome.get('/')).headers.location).toBe('/login');
    expect((await pending.get('/login/code')).headers.location).toBe('/login');
    expect(await isSignedIn(bob)).toBe(true);
    expect(await remembered(aliceId)).toBe(0);
    expect(Number((await t.sql('SELECT count(*) AS n FROM remembered_browsers'))[0].n)).toBe(1); // Bob's
    const [row] = (await auditRows(t)).filter((r) => r.event === 'sessions-revoked-others');
    expect(row).toMatchObject({ detail: 'sessions=2 remembered=2', user_agent: FIREFOX });

    // Chrome kept its remember cookie, but it no longer skips the code
    await chrome.get('/login');
    expect(chrome.jar.cookies.remember).toBeDefined();
    expect((await chrome.post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/code');
  });

  it('works the same with production cookies', async () => {
    const t = await start({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
    const firefox = await signedInBrowser(t, FIREFOX, { headers: HTTPS });
    const chrome = await signedInBrowser(t, CHROME, { headers: HTTPS, remember: true });
    const [chromeRow] = sessionsOn((await firefox.get('/account/sessions')).body);
    expect((await firefox.post('/account/sessions/end', { session: chromeRow.handle as string })).headers.location).toBe('/account/sessions');
    expect((await chrome.get('/')).headers.location).toBe('/login');
    const others = await firefox.post('/account/sessions/end-others');
    const cleared = ([] as string[]).concat(others.headers['set-cookie'] ?? []).find((h) => h.startsWith('__Host-remember='));
    expect(cleared).toMatch(/^__Host-remember=; Max-Age=0; Path=\/; (Expires=[^;]+; )?HttpOnly; Secure; SameSite=Lax$/);
  });
});
