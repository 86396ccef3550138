// Recovery codes in Chromium: shown once on the first page after the first sign-in, then typed into
// the code page's number field (grouped, as shown, or with dashes) instead of the code from the phone.
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

  it('shows ten codes once on the home page after the first sign-in; one of them later signs in instead of the phone', async () => {
    await suite.served.t.sql('DELETE FROM recovery_codes'); // Alice as an account that never had any
    await page.goto(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
    await submitCode(page, codeForAlice());
    expect(page.url()).toBe(url('/'));
    expect(await textOf(page, 'h1')).toBe('You are signed in');
    expect(await mainText(page)).toContain(ALICE.email);
    const panel = page.getByRole('region', { name: 'Your recovery codes — shown once' });
    expect(await panel.getByRole('heading', { level: 2 }).innerText()).toBe('Your recovery codes — shown once');
    const codes = await panel.getByRole('listitem').allInnerTexts();
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    expect((await suite.watched.context.cookies()).map((cookie) => cookie.value).join('\n')).not.toMatch(/\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}/);
    await page.goto(url('/account/recovery-codes'));
    expect(await page.locator('.one-time-codes').count()).toBe(0); // shown once
    expect(await mainText(page)).toContain('You have 10 unused recovery codes.');
    await page.goto(url('/'));
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
