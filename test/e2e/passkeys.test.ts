// Passkeys in Chromium, with its virtual authenticator as the user's device (the DevTools
// protocol's WebAuthn domain): added after a sign-in by SMS, then the second step instead of a code,
// with no SMS sent (the simulator's record tells); "Send a code instead" and a recovery code still
// work; another account's passkey signs nobody in; removing it needs a recent sign-in, and after
// that the account is back on codes. The app is served as http://localhost:PORT with PUBLIC_ORIGIN
// to match: a passkey is bound to that host name.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ALICE, mainText, submitCode, textOf, useBrowserSuite, withVirtualAuthenticator } from './helpers.ts';
import { auditPage, nextPageStatus } from './page-walk.ts';
import { BOB, addBob, verifyStarts } from '../helpers/remembering.ts';
import { PAST_STEP_UP_MS, later } from '../helpers/confirm.ts';

type Who = { email: string; password: string; phone: string };

describe('passkeys in a browser', () => {
  const suite = useBrowserSuite('v2', {}, { localhost: true });
  const { url } = suite;
  let page: Page;
  beforeEach(() => {
    page = suite.watched.page;
  });

  const smsSent = () => verifyStarts(suite.served.t);
  const passkeyRows = (email: string) =>
    suite.served.t.sql('SELECT p.name FROM passkeys p JOIN users u ON u.id = p.user_id WHERE u.email = $1', [email]);

  /** The password step; returns where it led (the passkey page for an account that has one, else the code page). */
  async function password(who: Who): Promise<string> {
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/login\/(code|passkey)$/);
    return new URL(page.url()).pathname;
  }

  async function signInBySms(who: Who): Promise<void> {
    expect(await password(who)).toBe('/login/code');
    await submitCode(page, suite.served.t.sim.lastCode(who.phone) as string);
    expect(page.url()).toBe(url('/'));
  }

  async function signOut(): Promise<void> {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
  }

  /** The button the page script shows once it knows the browser does WebAuthn. */
  async function passkeyButton(name = 'Use your passkey') {
    const button = page.getByRole('button', { name });
    await button.waitFor({ state: 'visible' });
    return button;
  }

  const passkeyItem = (name: string) => page.getByRole('listitem').filter({ hasText: name });

  async function addPasskey(name: string): Promise<void> {
    await page.goto(url('/account/passkeys'));
    await page.getByLabel('Name (optional)').fill(name);
    await (await passkeyButton('Add a passkey')).click();
    await passkeyItem(name).waitFor();
  }

  it('adds a passkey after an SMS sign-in, signs in with it and no SMS, falls back to a code or a recovery code, and is removed after a recent sign-in', async () => {
    const device = await withVirtualAuthenticator(page);
    await suite.served.t.sql('DELETE FROM recovery_codes'); // Alice gets a set to use below
    await signInBySms(ALICE);
    const recoveryCodes = await page.getByRole('region', { name: 'Your recovery codes — shown once' }).getByRole('listitem').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);

    // The home page offers a passkey after a sign-in by SMS.
    const offer = page.getByRole('link', { name: 'Add a passkey' });
    await offer.click();
    await page.waitForURL('**/account/passkeys');
    await auditPage(page, '/account/passkeys with none');
    await addPasskey('Work laptop');
    expect(await passkeyItem('Work laptop').innerText()).toMatch(/Work laptop/);
    expect(await passkeyRows(ALICE.email)).toEqual([{ name: 'Work laptop' }]);
    const [credential] = await device.credentials();
    expect(credential).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    await auditPage(page, '/account/passkeys with one');
    await signOut();

    // The password, then the passkey: home, and no SMS sent. Keyboard only.
    const sentBefore = smsSent();
    expect(await password(ALICE)).toBe('/login/passkey');
    await passkeyButton();
    await auditPage(page, '/login/passkey');
    expect(smsSent(), 'no code sent for an account with a passkey').toBe(sentBefore);
    for (let tab = 0; tab < 15 && (await page.evaluate<string>('document.activeElement?.textContent?.trim() ?? ""')) !== 'Use your passkey'; tab++) {
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate<string>('document.activeElement.textContent.trim()'), 'the button reached with Tab').toBe('Use your passkey');
    await page.keyboard.press('Enter');
    await page.waitForURL(url('/'));
    expect(await textOf(page, 'h1')).toBe('You are signed in');
    expect(smsSent(), 'signed in with the passkey: no SMS').toBe(sentBefore);
    expect((await device.credentials())[0].signCount).toBeGreaterThan(credential.signCount);
    expect(await page.getByRole('link', { name: 'Add a passkey' }).count(), 'no offer once Alice has one').toBe(0);
    await signOut();

    // "Send a code instead": the Verify request starts then.
    expect(await password(ALICE)).toBe('/login/passkey');
    await page.getByRole('button', { name: 'Send a code instead' }).click();
    await page.waitForURL('**/login/code');
    expect(smsSent()).toBe(sentBefore + 1);
    await submitCode(page, suite.codeForAlice());
    expect(page.url()).toBe(url('/'));
    await signOut();

    // A recovery code on the passkey page: signed in, no SMS.
    expect(await password(ALICE)).toBe('/login/passkey');
    await page.locator('input[name="code"]').fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.waitForURL(url('/'));
    expect(smsSent(), 'a recovery code sends nothing').toBe(sentBefore + 1);

    // Later than STEP_UP_MINUTES: removing asks to confirm, here with the passkey (and no SMS).
    await later(suite.served.t, PAST_STEP_UP_MS);
    await page.goto(url('/account/passkeys'));
    await passkeyItem('Work laptop').getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL('**/account/confirm');
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByLabel('Password').press('Enter');
    await passkeyButton();
    expect(await page.getByRole('button', { name: 'Send a code instead' }).count()).toBe(1);
    await auditPage(page, '/account/confirm, passkey state');
    await (await passkeyButton()).click();
    await page.waitForURL('**/account/passkeys');
    await passkeyItem('Work laptop').getByRole('button', { name: 'Remove' }).click();
    await page.waitForLoadState('load');
    await expect.poll(() => passkeyItem('Work laptop').count()).toBe(0);
    expect(await passkeyRows(ALICE.email)).toEqual([]);
    expect(smsSent(), 'confirmed with the passkey: no SMS').toBe(sentBefore + 1);
    await signOut();

    // Back on codes.
    expect(await password(ALICE)).toBe('/login/code');
    expect(smsSent()).toBe(sentBefore + 2);
  });

  it("refuses another account's passkey, and the home offer's \"Not now\" holds for the session", async () => {
    // Alice adds a passkey on her phone, which then leaves this (shared) computer.
    const alicesPhone = await withVirtualAuthenticator(page);
    await signInBySms(ALICE);
    await addPasskey("Alice's phone");
    await signOut();
    await alicesPhone.remove();

    // Bob, on the same computer with his own device: "Not now", then a passkey anyway.
    await addBob(suite.served.t);
    const bobsKey = await withVirtualAuthenticator(page);
    await signInBySms(BOB);
    await page.getByRole('button', { name: 'Not now' }).click();
    await page.waitForLoadState('load');
    expect(await page.getByRole('link', { name: 'Add a passkey' }).count()).toBe(0);
    await page.goto(url('/'));
    expect(await page.getByRole('link', { name: 'Add a passkey' }).count(), 'hidden for good in this session').toBe(0);
    await addPasskey("Bob's key");
    expect(await bobsKey.credentials()).toHaveLength(1);
    await signOut();

    // Alice's password: the browser is asked for Alice's passkeys only, and Bob's key has none.
    const sentBefore = smsSent();
    expect(await password(ALICE)).toBe('/login/passkey');
    await (await passkeyButton()).click();
    expect(await textOf(page, '#passkey-error')).not.toBe('');
    expect(await page.locator('#passkey-error').getAttribute('role')).toBe('alert');
    expect(new URL(page.url()).pathname).toBe('/login/passkey');

    // A page made to ask for any passkey at all (the list of allowed ones dropped): Bob's key answers
    // with Bob's credential, and the app refuses it for Alice.
    await page.evaluate(`{
      const get = navigator.credentials.get.bind(navigator.credentials);
      navigator.credentials.get = (options) => { options.publicKey.allowCredentials = []; return get(options); };
    }`);
    const status = await nextPageStatus(page, async () => (await passkeyButton()).click());
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(await mainText(page)).not.toContain('You are signed in');
    await page.goto(url('/'));
    expect(new URL(page.url()).pathname, 'not signed in').toMatch(/^\/login/);
    expect(smsSent(), 'nothing sent meanwhile').toBe(sentBefore);
  });
});
