// The code page's help in Chromium: "Send a new code" waits out the resend cooldown in the open
// (public/code-page.js), and a page asked for before or during the sign-in is where it lands.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ALICE, mainText, serveTestApp, submitCode, submitPassword, textOf, useBrowserSuite, wrongCodeFor } from './helpers.ts';
import { submitForm } from './page-walk.ts';

const READY = 'You can ask for a new code now.';
const waiting = (seconds: string) => new RegExp(`^You can ask for a new code in (${seconds}) seconds\\.$`);

describe('the code page', () => {
  const suite = useBrowserSuite('v2');
  const { url, codeForAlice } = suite;
  let page: Page;
  beforeEach(() => {
    page = suite.watched.page;
  });
  const resendButton = () => page.getByRole('button', { name: 'Send a new code' });
  const liveRegion = async () => (await page.locator('#resend-status').textContent()) ?? '';

  async function toCodePage(): Promise<void> {
    await page.goto(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
  }

  it('disables "Send a new code" during the cooldown, counts the seconds down and enables it at zero', async () => {
    await page.clock.install(); // the page's time: runFor moves it, firing its timers on the way
    await toCodePage();
    expect(await resendButton().isDisabled()).toBe(true);
    const start = await resendButton().getAttribute('data-cooldown-seconds');
    expect(start).toMatch(/^(29|30)$/);
    expect(await textOf(page, '#resend-wait')).toMatch(waiting(start as string));
    // Said once to a screen reader as the wait begins (a polite live region)...
    expect(await page.locator('#resend-status').getAttribute('aria-live')).toBe('polite');
    expect(await liveRegion()).toMatch(waiting(start as string));
    await page.evaluate(`
      const region = document.getElementById('resend-status');
      window.announced = [];
      new MutationObserver(() => window.announced.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true });
    `);

    await page.clock.runFor(10_000);
    expect(await textOf(page, '#resend-wait')).toMatch(waiting('19|20'));
    expect(await resendButton().isDisabled()).toBe(true);

    await page.clock.runFor(21_000);
    expect(await resendButton().isEnabled()).toBe(true);
    expect(await textOf(page, '#resend-wait')).toBe(READY);
    // ...and once more when it is over: not every second in between.
    expect(await page.evaluate<string[]>('window.announced')).toEqual([READY]);
  });

  it('enables the button just when the server takes a new code, and counts down again after it', async () => {
    await page.clock.install();
    await toCodePage();
    const sentBefore = suite.served.t.sim.sent.length;
    expect(await resendButton().isDisabled()).toBe(true);
    // The cooldown's seconds pass on both clocks alike, as real time would pass them (instead of
    // waiting 30 real seconds): the page's, whose script counts them from its load, and the served
    // app's, whose store counts them from the send, a little before the page got them.
    const seconds = Number(await resendButton().getAttribute('data-cooldown-seconds'));
    await page.clock.runFor(seconds * 1000);
    await suite.served.t.moveClock(Date.now() + seconds * 1000);
    await page.locator('button[data-cooldown-seconds]:enabled').waitFor();
    expect(await liveRegion()).toBe(READY);

    await resendButton().click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(url('/login/code')); // 303: taken, not a 429
    expect(suite.served.t.sim.sent.length).toBe(sentBefore + 1);
    expect(await textOf(page, '[role=status]')).toMatch(/on its way again/);
    expect(await resendButton().isDisabled()).toBe(true);
    expect(await textOf(page, '#resend-wait')).toMatch(waiting('29|30'));

    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/'));
  });

  it('still explains the wait when a new code is asked for anyway during the cooldown', async () => {
    await toCodePage();
    const sentBefore = suite.served.t.sim.sent.length;
    expect(await submitForm(page, '/login/code/resend')).toBe(429);
    expect(await textOf(page, '[role=alert]')).toMatch(/sent moments ago.*Try again in \d+ seconds/i);
    expect(suite.served.t.sim.sent.length).toBe(sentBefore);
    expect(await resendButton().isDisabled()).toBe(true); // and counts down on that page too
    expect(await textOf(page, '#resend-wait')).toMatch(waiting('\\d+'));

    await submitCode(page, codeForAlice()); // the first code still works
    expect(page.url()).toBe(url('/'));
  });

  it('offers the phone\'s one-time-code autofill and a numeric keyboard for the code', async () => {
    await toCodePage();
    const code = page.getByLabel('Code');
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await code.getAttribute('inputmode')).toBe('numeric');
  });

  it('takes exactly VERIFY_CODE_LENGTH digits (6 here) or a recovery code in the code field, and flags anything else before sending', async () => {
    await toCodePage();
    const code = page.getByLabel('Code');
    const mismatch = async (typed: string) => {
      await code.fill(typed);
      return code.evaluate((input) => (input as unknown as { validity: { patternMismatch: boolean } }).validity.patternMismatch);
    };
    expect(await mismatch('123456')).toBe(false);
    expect(await mismatch('123 456')).toBe(false);
    expect(await mismatch('1234 5678 9012 3456')).toBe(false);
    expect(await mismatch('12345')).toBe(true);
    expect(await mismatch('1234567')).toBe(true);
    expect(await mismatch('12345a')).toBe(true);
  });

  it('lands on a page asked for during the code step, after a wrong code too', async () => {
    await toCodePage();
    await page.goto(url('/?asked=during-code-step'));
    expect(page.url()).toBe(url('/login/code')); // still pending: back to the code
    await submitCode(page, wrongCodeFor(codeForAlice()));
    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/?asked=during-code-step'));
    expect(await mainText(page)).toContain(ALICE.email);
  });

  it('lands on the deep link at the first sign-in too, which shows the new recovery codes once', async () => {
    await suite.served.t.sql('DELETE FROM recovery_codes'); // a first sign-in: the codes are shown once
    await page.goto(url('/?asked=before-first-sign-in'));
    await submitPassword(page, ALICE.email, ALICE.password);
    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/?asked=before-first-sign-in'));
    expect(await mainText(page)).toContain(ALICE.email);
    expect(await page.locator('.one-time-codes li code').count()).toBe(10);
    await page.reload();
    expect(await mainText(page)).toContain(ALICE.email);
    expect(await page.locator('.one-time-codes').count()).toBe(0);
  });

  it('brings each of the home page\'s own links back as a deep link through both steps', async () => {
    await toCodePage();
    await submitCode(page, codeForAlice());
    await page.goto(url('/'));
    const links = await page.evaluate<string[]>(
      `[...document.querySelectorAll('main a[href^="/"]')].map((a) => a.getAttribute('href')).filter((href) => href !== '/')`,
    );
    expect(links.length, 'the home page links to the account pages').toBeGreaterThan(0);

    for (const link of new Set(links)) {
      // A fresh app per link: each sign-in spends one of Alice's five codes an hour.
      const served = await serveTestApp('v2');
      try {
        await suite.watched.context.clearCookies();
        await page.goto(served.base + link);
        expect(page.url(), `${link} before sign-in`).toBe(served.base + '/login');
        await submitPassword(page, ALICE.email, ALICE.password);
        await submitCode(page, served.t.sim.lastCode(ALICE.phone) as string);
        expect(page.url(), `${link} after sign-in`).toBe(served.base + link);
      } finally {
        await served.close();
      }
    }
  });
});
