// Issue 18: the Verify settings users configure, seen through the app. The code page says where
// the code went, "Send a new code" moves to the next channel of VERIFY_WORKFLOW, and the code field
// and the server take exactly VERIFY_CODE_LENGTH digits while a recovery code still works there.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { firstSignIn, isCheck, pendingClient } from '../helpers/recovery-codes.ts';

const codeInput = (html: string) => /<input id="code"[^>]*>/.exec(html)?.[0] ?? '';

describe('Verify settings on the code page', () => {
  let t: TestApp;
  let clock = Date.now();
  afterEach(async () => {
    vi.useRealTimers();
    await t.close();
  });
  const start = async (api: 'v2' | 'legacy', env: Record<string, string>) => {
    clock = Date.now();
    t = await startTestApp({ api, env, simulator: { now: () => clock } });
  };
  /** Past the resend cooldown, on the app's clock and the simulator's. */
  const resendLater = async (c: TestClient) => {
    clock = Math.max(clock, Date.now()) + 31_000; // the code went out after startup took its time
    await t.moveClock(clock);
    return c.post('/login/code/resend');
  };

  it('v2, WhatsApp then a call, 8 digits: the page says WhatsApp, then a call after a resend; 6 digits are refused, a recovery code is not', async () => {
    await start('v2', { VERIFY_WORKFLOW: 'whatsapp,voice', VONAGE_WHATSAPP_FROM: '+447700900001', VERIFY_CODE_LENGTH: '8', VERIFY_LOCALE: 'es-es' });
    // The first sign-in takes the 8-digit code sent on WhatsApp and hands out recovery codes.
    const { c: first, codes } = await firstSignIn(t);
    expect(t.sim.sent[0]).toMatchObject({ channel: 'whatsapp', to: '15555550100' });
    expect(t.sim.sent[0].code).toMatch(/^\d{8}$/);
    expect(t.sim.requests[0].body).toMatchObject({ code_length: 8, locale: 'es-es', workflow: [{ channel: 'whatsapp', from: '447700900001' }, { channel: 'voice' }] });
    await first.post('/logout');
    clock = Math.max(clock, Date.now()) + 31_000; // past the account's send cooldown
    await t.moveClock(clock);

    const c = await pendingClient(t);
    const page = await c.get('/login/code');
    expect(page.body).toContain('We sent a 8-digit code on WhatsApp to <strong class="phone">+1 ••• ••• 0100</strong>.');
    const input = codeInput(page.body);
    expect(input).toContain('inputmode="numeric"');
    expect(input).toContain('pattern="[ \\-]*(?:[0-9][ \\-]*){8}|[ \\-]*(?:[0-9][ \\-]*){16}"');

    const checksBefore = t.sim.requests.filter(isCheck).length;
    const short = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone)!.slice(0, 6) });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('Enter the 8-digit code from the message: digits only.');
    expect(t.sim.requests.filter(isCheck)).toHaveLength(checksBefore); // never reached Verify

    expect((await resendLater(c)).headers.location).toBe('/login/code');
    expect(t.sim.sent.at(-1)).toMatchObject({ channel: 'voice' });
    const after = await c.get('/login/code');
    expect(after.body).toContain('Your code is on its way again, by a phone call this time.');
    expect(after.body).toContain('We are calling <strong class="phone">+1 ••• ••• 0100</strong> to read you a 8-digit code.');

    const done = await c.post('/login/code', { code: codes[0] });
    expect(done.headers.location).toBe('/');
  });

  it('v2, email first: the code goes to the account address and the page says so', async () => {
    await start('v2', { VERIFY_WORKFLOW: 'email,sms' });
    const c = await pendingClient(t);
    expect(t.sim.sent.at(-1)).toMatchObject({ channel: 'email', to: ALICE.email });
    expect((await c.get('/login/code')).body).toContain('We sent a 6-digit code by email to <strong class="email">a•••@example.com</strong>.');
    expect((await resendLater(c)).headers.location).toBe('/login/code');
    expect(t.sim.sent.at(-1)).toMatchObject({ channel: 'sms', to: '15555550100' });
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone)! })).headers.location).toBe('/');
    // The recovery-codes page names where a confirmation's first code goes: by email, not "your phone".
    const renewal = (await c.get('/account/recovery-codes')).body;
    expect(renewal).toContain('we first ask your password and a code we send you by email.');
    expect(renewal).not.toContain('from your phone');
  });

  it('legacy, voice only, 4 digits in German: workflow 7, lg de-de, and a 4-digit code signs in', async () => {
    await start('legacy', { VERIFY_WORKFLOW: 'voice', VERIFY_CODE_LENGTH: '4', VERIFY_LOCALE: 'de-de' });
    const c = await pendingClient(t);
    expect(t.sim.requests.at(-1)?.body).toMatchObject({ workflow_id: 7, lg: 'de-de', code_length: 4 });
    const page = await c.get('/login/code');
    expect(page.body).toContain('We are calling <strong class="phone">+1 ••• ••• 0100</strong> to read you a 4-digit code.');
    expect(codeInput(page.body)).toContain('{4}');
    const code = t.sim.lastCode(ALICE.phone)!;
    expect(code).toMatch(/^\d{4}$/);
    expect((await c.post('/login/code', { code })).headers.location).toBe('/');
    expect((await c.get('/account/recovery-codes')).body).toContain('a code we send you by a phone call.');
  });
});
