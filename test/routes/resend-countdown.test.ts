// The code page says how long until a new code may be asked for: as text (which works without
// JavaScript) and on the resend button for public/code-page.js to count down. The button itself
// is never disabled by the server: a press during the cooldown still gets the 429 page.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';

const cooldownOn = (html: string) => Number(/data-cooldown-seconds="(\d+)"/.exec(html)?.[1]);
const resendButton = (html: string) => /<button[^>]*>Send a new code<\/button>/.exec(html)?.[0] ?? '';

describe('the resend countdown on the code page', () => {
  const startApp = useTestApps();

  async function pendingSignIn(): Promise<{ t: TestApp; c: TestClient }> {
    const t = await startApp({ api: 'v2' });
    const c = t.client();
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(303);
    return { t, c };
  }

  it('shows the seconds left in the text and on the button, and loads the countdown script', async () => {
    const { c } = await pendingSignIn();
    const page = await c.get('/login/code');
    expect(page.statusCode).toBe(200);
    expect(cooldownOn(page.body)).toBeGreaterThanOrEqual(29);
    expect(cooldownOn(page.body)).toBeLessThanOrEqual(30);
    expect(page.body).toMatch(/<p class="hint" id="resend-wait">You can ask for a new code in (29|30) seconds\.<\/p>/);
    // Enabled in the HTML (it works without JavaScript) and described by the wait.
    expect(resendButton(page.body)).not.toContain('disabled');
    expect(resendButton(page.body)).toContain('aria-describedby="resend-wait"');
    expect(page.body).toContain('<p class="visually-hidden" id="resend-status" aria-live="polite"></p>');
    expect(page.body).toContain('<script src="/static/code-page.js" defer></script>');
    // The code field asks for the SMS code's autofill and a numeric keyboard.
    expect(page.body).toMatch(/<input id="code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric"/);
  });

  it('counts down with the clock and says nothing once a new code may be asked for', async () => {
    const { t, c } = await pendingSignIn();
    await t.moveClock(Date.now() + 10_000);
    const later = await c.get('/login/code');
    expect(cooldownOn(later.body)).toBeGreaterThanOrEqual(19);
    expect(cooldownOn(later.body)).toBeLessThanOrEqual(20);

    await t.moveClock(Date.now() + 21_000);
    const ready = await c.get('/login/code');
    expect(cooldownOn(ready.body)).toBe(0);
    expect(ready.body).not.toContain('id="resend-wait"');
    expect(resendButton(ready.body)).not.toContain('aria-describedby');
    // The moment the page says zero, the server takes the resend.
    expect((await c.post('/login/code/resend')).statusCode).toBe(303);
  });

  it('starts again after a resend, next to the notice that the code is on its way', async () => {
    const { t, c } = await pendingSignIn();
    await t.moveClock(Date.now() + 31_000);
    const resent = await c.post('/login/code/resend');
    expect(resent.headers.location).toBe('/login/code');
    const page = await c.get('/login/code');
    expect(page.body).toContain('Your code is on its way again');
    expect(cooldownOn(page.body)).toBeGreaterThanOrEqual(29);
    expect(page.body).toMatch(/You can ask for a new code in (29|30) seconds\./);
  });

  it('a press during the cooldown still answers 429 saying how long, with the countdown on the page', async () => {
    const { t, c } = await pendingSignIn();
    const early = await c.post('/login/code/resend');
    expect(early.statusCode).toBe(429);
    const retryAfter = Number(early.headers['retry-after']);
    expect(early.body).toMatch(/role="alert">A code was sent moments ago\. You can ask for another soon\. Try again in (29|30) seconds\./);
    expect(Math.abs(cooldownOn(early.body) - retryAfter)).toBeLessThanOrEqual(1);
    expect(t.sim.sent).toHaveLength(1);
  });

  it('counts down to the cooldown another browser began for the same account', async () => {
    const { t, c } = await pendingSignIn();
    await t.moveClock(Date.now() + 31_000);
    expect(cooldownOn((await c.get('/login/code')).body)).toBe(0);

    // A second browser's password step begins the account's cooldown afresh (it continues with the
    // running Verify request), which this browser's session cannot know about...
    const other = t.client();
    expect((await other.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(303);
    // ...until its resend is refused: that page counts down to the store's end of the cooldown.
    const refused = await c.post('/login/code/resend');
    expect(refused.statusCode).toBe(429);
    expect(cooldownOn(refused.body)).toBeGreaterThanOrEqual(29);
    expect(refused.body).toMatch(/id="resend-wait">You can ask for a new code in (29|30) seconds\./);
  });

  it('serves the countdown script from /static/, which the pages\' CSP allows', async () => {
    const { t, c } = await pendingSignIn();
    const script = await t.app.inject({ method: 'GET', url: '/static/code-page.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(script.body).toContain('data-cooldown-seconds]');
    const csp = String((await c.get('/login/code')).headers['content-security-policy']);
    expect(csp).toMatch(/(^|;)\s*script-src 'self'(;|$)/);
    expect(csp).toMatch(/script-src-attr 'none'/);
  });
});
