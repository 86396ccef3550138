// VERIFY_WORKFLOW, VERIFY_CODE_LENGTH, VERIFY_LOCALE and VONAGE_WHATSAPP_FROM on the wire: the
// real adapters, through the real SDK, against the simulator, which checks them as Vonage documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRAND, DIGITS, PHONE, expectOk, failureOf, startHarness, type Harness } from './helpers.ts';
import type { DeliverySettings } from '../../src/verify/delivery-settings.ts';

const EMAIL = 'alice@example.com';
const WHATSAPP_FROM = '447700900001';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('Verify v2', () => {
  it('sends the workflow in order with each channel own fields, the code length and the locale; resends move along it', async () => {
    const delivery: DeliverySettings = { workflow: ['whatsapp', 'email', 'sms'], codeLength: 8, locale: 'de-de', whatsappFrom: WHATSAPP_FROM };
    const client = h.client('v2', { delivery });
    expect(client.channels).toEqual(['whatsapp', 'email', 'sms']);
    expect(client.codeLength).toBe(8);
    const before = h.sim.requests.length;
    const { requestId } = expectOk(await client.start(PHONE, EMAIL));
    expect(h.requests(before)[0].body).toEqual({
      brand: BRAND,
      code_length: 8,
      locale: 'de-de',
      channel_timeout: 300,
      workflow: [
        { channel: 'whatsapp', to: DIGITS, from: WHATSAPP_FROM },
        { channel: 'email', to: EMAIL },
        { channel: 'sms', to: DIGITS },
      ],
    });
    expectOk(await client.resend(requestId));
    expectOk(await client.resend(requestId));
    const mine = h.sim.sent.filter((s) => s.requestId === requestId);
    expect(mine.map((s) => [s.channel, s.to])).toEqual([['whatsapp', DIGITS], ['email', EMAIL], ['sms', DIGITS]]);
    expect(mine[0].code).toMatch(/^\d{8}$/);
    // Six digits are not a code of this length: refused before Vonage sees it.
    const sent = h.sim.requests.length;
    expect(failureOf(await client.check(requestId, mine[0].code.slice(0, 6)))).toBe('wrong-code');
    expect(h.sim.requests.length).toBe(sent);
    expectOk(await client.check(requestId, mine[0].code));
  });

  it('leaves the email step out when no address is given', async () => {
    const client = h.client('v2', { delivery: { workflow: ['email', 'voice'], codeLength: 6, locale: 'en-us' } });
    const before = h.sim.requests.length;
    const { requestId } = expectOk(await client.start('+15555550111'));
    expect((h.requests(before)[0].body as { workflow: unknown }).workflow).toEqual([{ channel: 'voice', to: '15555550111' }]);
    expectOk(await client.cancel(requestId));
  });

  it('the simulator refuses a WhatsApp step without its sender, and a locale Vonage does not list (422)', async () => {
    const noSender = h.client('v2', { delivery: { workflow: ['whatsapp'], codeLength: 6, locale: 'en-us' } });
    expect(failureOf(await noSender.start('+15555550112'))).toBe('rejected');
    expect(h.sim.requests.at(-1)?.reply).toMatchObject({ status: 422, body: { invalid_parameters: [{ name: 'workflow[0].from' }] } });
    const badLocale = h.client('v2', { delivery: { workflow: ['sms'], codeLength: 6, locale: 'xx-yy' } });
    expect(failureOf(await badLocale.start('+15555550113'))).toBe('rejected');
    expect(h.sim.requests.at(-1)?.reply).toMatchObject({ status: 422, body: { invalid_parameters: [{ name: 'locale' }] } });
  });
});

describe('legacy Verify', () => {
  it('sends the nearest numbered workflow, code_length and lg', async () => {
    const client = h.client('legacy', { delivery: { workflow: ['voice'], codeLength: 4, locale: 'ja-jp' } });
    expect(client.channels).toEqual(['voice']);
    const before = h.sim.requests.length;
    const { requestId } = expectOk(await client.start('+15555550114'));
    expect(h.requests(before)[0].body).toEqual({ number: '15555550114', brand: BRAND, code_length: 4, lg: 'ja-jp', workflow_id: 7 });
    const sent = h.sim.sent.filter((s) => s.requestId === requestId);
    expect(sent.map((s) => s.channel)).toEqual(['tts']);
    expect(sent[0].code).toMatch(/^\d{4}$/);
    expect(failureOf(await client.resend(requestId))).toBe('no-more-events');
    expectOk(await client.check(requestId, sent[0].code));
  });

  it('voice then SMS uses workflow 3 (two calls), and the client reports it', async () => {
    const client = h.client('legacy', { delivery: { workflow: ['voice', 'sms'], codeLength: 6, locale: 'en-us' } });
    expect(client.channels).toEqual(['voice', 'voice']);
    const before = h.sim.requests.length;
    expectOk(await client.start('+15555550115'));
    expect(h.requests(before)[0].body).toMatchObject({ workflow_id: 3 });
  });

  it('the simulator refuses an lg Vonage does not list (status 3)', async () => {
    const client = h.client('legacy', { delivery: { workflow: ['sms'], codeLength: 6, locale: 'xx-yy' } });
    expect(failureOf(await client.start('+15555550116'))).toBe('rejected');
    expect(h.sim.requests.at(-1)?.reply?.body).toMatchObject({ status: '3', error_text: 'Invalid value for param: lg' });
  });
});
