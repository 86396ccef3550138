// Changing the phone in Chromium (/account/phone, issue 18): from the home page's link, the new
// number typed as a person types it, a wrong code, then the right one from the new phone; the
// home page then shows the new number masked. Each state of the page is audited by axe at a
// phone's and a desktop's width.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ALICE, mainText, screenshot, submitCode, submitPassword, textOf, useBrowserSuite, wrongCodeFor } from './helpers.ts';
import { auditPage, nextPageStatus } from './page-walk.ts';

const NEW_PHONE = '+353851234567';

describe('changing the phone in a browser', () => {
  const suite = useBrowserSuite('v2');
  const { url, codeForAlice } = suite;
  let page: Page;
  beforeEach(() => {
    page = suite.watched.page;
  });

  it('changes the phone with a code sent to the new number; the home page shows it masked', async () => {
    await page.goto(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/'));
    expect(await textOf(page, 'strong.phone')).toBe('+1 ••• ••• 0100');

    expect(await nextPageStatus(page, () => page.getByRole('link', { name: 'Change phone number' }).click())).toBe(200);
    expect(page.url()).toBe(url('/account/phone'));
    await auditPage(page, 'phone page, new number');

    await page.getByLabel('New phone number').fill('+44 20 7946 0000'); // a London landline
    expect(await nextPageStatus(page, () => page.getByRole('button', { name: 'Send a code' }).click())).toBe(400);
    expect(await textOf(page, '[role=alert]')).toContain('can’t receive text messages');
    await auditPage(page, 'phone page with an error');
    await screenshot(page, 'phone-change-error');

    await page.getByLabel('New phone number').fill('00353 85 123 4567');
    expect(await nextPageStatus(page, () => page.getByRole('button', { name: 'Send a code' }).click())).toBe(200);
    expect(await mainText(page)).toContain('to your new number, +353 •• ••• 4567');
    expect(await page.getByRole('button', { name: 'Send a new code' }).isDisabled()).toBe(true); // the cooldown, counted down by code-page.js
    await auditPage(page, 'phone page, code step');
    await screenshot(page, 'phone-change-code-step'); // for a human to look at, as look.test.ts's
    const sim = suite.served.t.sim;
    const code = sim.lastCode(NEW_PHONE) as string;

    await page.getByLabel('Code').fill(wrongCodeFor(code));
    expect(await nextPageStatus(page, () => page.getByRole('button', { name: 'Change phone number' }).click())).toBe(401);
    await textOf(page, '[role=alert]');
    await auditPage(page, 'phone page with a wrong code');

    await page.getByLabel('Code').fill(code);
    expect(await nextPageStatus(page, () => page.getByRole('button', { name: 'Change phone number' }).click())).toBe(200);
    expect(page.url()).toBe(url('/'));
    expect(await textOf(page, '[role=status]')).toContain('Your phone number has been changed.');
    expect(await textOf(page, 'strong.phone')).toBe('+353 •• ••• 4567');
    expect(await mainText(page)).not.toContain('851234567');
    await auditPage(page, 'home page after the phone change');
    const [row] = await suite.served.t.sql('SELECT phone FROM users');
    expect(row.phone).toBe(NEW_PHONE);
  });
});
