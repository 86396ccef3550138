// The sign-in in Chromium, through the real forms and buttons, against the app over Verify v2.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ALICE, mainText, screenshot, submitCode, submitPassword, textOf, useBrowserSuite, wrongCodeFor } from './helpers.ts';

describe('signing in with a browser', () => {
  const suite = useBrowserSuite('v2');
  const { url, codeForAlice } = suite;
  let page: Page;
  beforeEach(() => {
    page = suite.watched.page;
  });

  async function signInToCodePage(start = '/login'): Promise<void> {
    await page.goto(url(start));
    await page.waitForURL('**/login');
    await submitPassword(page, ALICE.email, ALICE.password);
  }

  it('types email and password, then the code from the phone, and lands on the home page', async () => {
    await page.goto(url('/login'));
    expect(await page.title()).toContain('Sign in');
    await screenshot(page, 'login');
    await submitPassword(page, ALICE.email, ALICE.password);

    expect(await mainText(page)).toContain('+1 ••• ••• 0100');
    const codeInput = page.getByLabel('Code');
    expect(await codeInput.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await codeInput.getAttribute('inputmode')).toBe('numeric');
    await screenshot(page, 'code');
    const pendingSid = (await suite.watched.context.cookies()).find((c) => c.name === 'sid')?.value;
    expect(pendingSid).toBeTruthy();

    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/'));
    expect(await textOf(page, 'h1')).toBe('You are signed in');
    expect(await mainText(page)).toContain(ALICE.email);
    await screenshot(page, 'home');

    const sid = (await suite.watched.context.cookies()).find((c) => c.name === 'sid');
    expect(sid?.value).toBeTruthy();
    expect(sid?.value).not.toBe(pendingSid); // a new session ID after the code step
    expect(sid).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
  });

  it('names a favicon that loads as an image, so browsers never ask for a missing /favicon.ico', async () => {
    await page.goto(url('/login'));
    const icons = page.locator('link[rel~="icon"]');
    expect(await icons.count(), 'a <link rel="icon"> in the page').toBeGreaterThan(0);
    const href = await icons.first().getAttribute('href');
    expect(href, 'the icon link names a file').toBeTruthy();
    const icon = new URL(href as string, page.url()).href;

    // Node's fetch reads data: URLs too, so an inline icon is held to the same bar as a served one.
    const res = await fetch(icon);
    expect(res.status, `GET ${href}`).toBe(200);
    expect(res.headers.get('content-type'), `Content-Type of ${href}`).toMatch(/^image\//);
    expect((await res.arrayBuffer()).byteLength, `bytes of ${href}`).toBeGreaterThan(0);
    // And the page itself may show it: the CSP allows it and Chromium decodes it as an image.
    // (A string, as in look.test.ts: tsconfig has no DOM types.)
    const loaded = await page.evaluate<boolean>(
      `new Promise((resolve) => Object.assign(new Image(), { onload: () => resolve(true), onerror: () => resolve(false), src: ${JSON.stringify(icon)} }))`,
    );
    expect(loaded, `Chromium loads ${href} as an image`).toBe(true);
  });

  it('never shows the Verify request ID to the browser', async () => {
    await signInToCodePage();
    const requestId = suite.served.t.sim.sent.at(-1)?.requestId as string;
    expect(requestId).toBeTruthy();
    expect(await page.content()).not.toContain(requestId);
    const cookies = await suite.watched.context.cookies();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(decodeURIComponent(cookie.value)).not.toContain(requestId);
  });

  it('says a wrong code is wrong, shows the form again, then takes the right one', async () => {
    await signInToCodePage();
    const code = codeForAlice();
    await submitCode(page, wrongCodeFor(code));

    expect(page.url()).toBe(url('/login/code'));
    expect(await textOf(page, '[role=alert]')).toBe("That code isn't right. Check the message and try again.");
    expect(await page.getByLabel('Code').isVisible()).toBe(true);
    await screenshot(page, 'code-wrong');

    await submitCode(page, code);
    expect(page.url()).toBe(url('/'));
    expect(await mainText(page)).toContain(ALICE.email);
  });

  it('brings a deep link back after the sign-in', async () => {
    await page.goto(url('/?x=1'));
    expect(page.url()).toBe(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
    await submitCode(page, codeForAlice());

    expect(page.url()).toBe(url('/?x=1'));
    expect(await mainText(page)).toContain(ALICE.email);
  });

  it('signs out with the button, says so once, and locks the home page again', async () => {
    await signInToCodePage();
    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/'));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    expect(await textOf(page, '[role=status]')).toBe('You have been signed out.');
    expect((await suite.watched.context.cookies()).find((c) => c.name === 'sid')).toBeUndefined();

    await page.goto(url('/'));
    expect(page.url()).toBe(url('/login'));
    expect(await mainText(page)).not.toContain(ALICE.email);
    expect(await page.locator('[role=status]').count()).toBe(0); // the notice was shown once
  });

  it('cancels a pending sign-in with the button', async () => {
    await signInToCodePage();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL('**/login');
    expect(await textOf(page, '[role=status]')).toBe('Sign-in cancelled.');

    await page.goto(url('/login/code'));
    expect(page.url()).toBe(url('/login')); // nothing pending any more
    await page.goto(url('/'));
    expect(page.url()).toBe(url('/login'));
  });

  // The resend cooldown (a disabled button with JavaScript, a 429 page without): code-page.test.ts.
});
