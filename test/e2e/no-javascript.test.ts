// The pages are plain HTML forms: the whole sign-in works with JavaScript switched off.
// This file runs against the legacy Verify API, so the browser covers both adapters.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ALICE, mainText, submitCode, submitPassword, textOf, useBrowserSuite, wrongCodeFor } from './helpers.ts';

describe('signing in with JavaScript disabled', () => {
  const suite = useBrowserSuite('legacy', { javaScriptEnabled: false });
  const { url, codeForAlice } = suite;
  let page: Page;
  beforeEach(() => {
    page = suite.watched.page;
  });

  it('signs in, rejects a wrong code, accepts the right one and signs out', async () => {
    await page.goto(url('/'));
    expect(page.url()).toBe(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
    expect(await mainText(page)).toContain('+1 ••• ••• 0100');

    const code = codeForAlice();
    await submitCode(page, wrongCodeFor(code));
    expect(await textOf(page, '[role=alert]')).toMatch(/isn't right/);
    await submitCode(page, code);
    expect(page.url()).toBe(url('/'));
    expect(await mainText(page)).toContain(ALICE.email);

    const sid = (await suite.watched.context.cookies()).find((c) => c.name === 'sid');
    expect(sid).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    expect(await textOf(page, '[role=status]')).toBe('You have been signed out.');
  });

  it('shows the generic message for a wrong password and keeps the email', async () => {
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill(ALICE.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForLoadState('load');

    expect(page.url()).toBe(url('/login'));
    expect(await textOf(page, '[role=alert]')).toBe('That email and password do not match an account.');
    expect(await page.getByLabel('Email').inputValue()).toBe(ALICE.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
  });

  it('cancels and asks to wait for a new code without any script', async () => {
    await page.goto(url('/login'));
    await submitPassword(page, ALICE.email, ALICE.password);
    // No script to hold the button: the page says how long, and the button stays usable.
    expect(await textOf(page, '#resend-wait')).toMatch(/^You can ask for a new code in (29|30) seconds\.$/);
    expect(await page.getByRole('button', { name: 'Send a new code' }).isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await page.waitForLoadState('load');
    expect(await textOf(page, '[role=alert]')).toMatch(/Try again in \d+ seconds/i);

    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL('**/login');
    expect(await textOf(page, '[role=status]')).toBe('Sign-in cancelled.');
  });
});
