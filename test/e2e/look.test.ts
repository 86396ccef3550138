// Each page rendered with its stylesheet, on a desktop, in dark mode and on a phone: screenshots go
// to test-results/e2e/ for a human to look at; the checks catch a missing stylesheet or a page that
// scrolls sideways on a small screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ALICE, launchBrowser, openPage, screenshot, serveTestApp, submitCode, submitPassword, textOf, wrongCodeFor } from './helpers.ts';
import type { ServedApp } from './helpers.ts';

const ACCENT = 'rgb(75, 56, 214)'; // --accent in public/app.css

const VARIANTS: Array<[string, BrowserContextOptions]> = [
  ['desktop', { viewport: { width: 1280, height: 800 } }],
  ['dark', { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' }],
  ['phone', { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
];

describe('how the pages look', () => {
  let browser: Browser;
  let served: ServedApp;

  beforeAll(async () => {
    [browser, served] = await Promise.all([launchBrowser(), serveTestApp('v2')]);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  /** Styled (the stylesheet applied), fits the viewport's width, and photographed. */
  async function check(page: Page, name: string): Promise<void> {
    // Strings, not functions: tsconfig has no DOM types, and the page evaluates them all the same.
    // The page's first primary button (link-styled and outlined ones, such as the home page's "Not now", aside).
    const buttonColour = await page.evaluate<string>(`getComputedStyle(document.querySelector('main form button:not(.link):not(.secondary)')).backgroundColor`);
    expect(buttonColour, `${name}: primary button colour`).toBe(ACCENT);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow, `${name}: sideways scroll in px`).toBeLessThanOrEqual(0);
    const card = await page.locator('main').boundingBox();
    const width = page.viewportSize()?.width ?? 0;
    expect(card && card.x >= 0 && card.x + card.width <= width, `${name}: the card fits the viewport`).toBe(true);
    await screenshot(page, name);
  }

  it.each(VARIANTS)('renders every page styled and within the screen: %s', async (variant, options) => {
    const { context, page, problems } = await openPage(browser, options);
    try {
      await page.goto(served.base + '/login');
      await check(page, `${variant}-login`);

      await page.getByLabel('Email').fill(ALICE.email);
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Continue' }).click();
      await textOf(page, '[role=alert]');
      await check(page, `${variant}-login-error`);

      await submitPassword(page, ALICE.email, ALICE.password);
      await check(page, `${variant}-code`);
      const code = served.t.sim.lastCode(ALICE.phone) as string;
      await submitCode(page, wrongCodeFor(code));
      await textOf(page, '[role=alert]');
      await check(page, `${variant}-code-error`);

      await submitCode(page, code);
      await check(page, `${variant}-home`);

      await page.goto(served.base + '/no-such-page');
      await textOf(page, 'h1');
      await screenshot(page, `${variant}-not-found`);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
