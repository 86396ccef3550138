// Recovery codes in Chromium: shown once after the first sign-in, then typed into the code page's
// number field (grouped, as shown, or with dashes) instead of the code from the phone.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ALICE, mainText, submitCode, submitPassword, textOf, useBrowserSuite } from './helpers.ts';

describe('recovery codes in a browser', () => {
  const suite = useBrowserSuite('v2');
  const { url, codeForAlice } = suite;
  let page: Page;
  beforeEach(() => {
    page = suite.watched.page;
  });

  it('shows ten codes once after the first sign-in; one of them later signs in instead of the phone', async () => {
    await suite.served.t.sql('DELETE FROM recovery_codes'); // Alice as an account that never had any
    await page.goto(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/account/recovery-codes'));
    expect(await textOf(page, 'h1')).toBe('Your recovery codes');
    const codes = await page.locator('.recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL(url('/'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');

    await submitPassword(page, ALICE.email, ALICE.password);
    expect(await page.getByLabel('Code').getAttribute('aria-describedby')).toBe('code-hint');
    expect(await mainText(page)).toContain('Lost your phone? Enter one of your recovery codes.');
    await submitCode(page, codes[0].replaceAll(' ', '-')); // the field's own pattern lets it through
    expect(page.url()).toBe(url('/'));
    expect(await textOf(page, '[role=status]')).toBe('You signed in with a recovery code. 9 codes left.');
  });
});
