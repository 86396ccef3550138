// The real adapters over the real Vonage SDKs against the simulator: the sign-in's happy and
// unhappy paths, for both APIs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BRAND, DIGITS, PHONE, expectOk, failureOf, startHarness, type Api, type Harness } from './helpers.ts';

describe.each<Api>(['v2', 'legacy'])('%s adapter against the simulator', (api) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.clock.advance(3600); // every earlier request to PHONE has expired
    h.sim.setFailureMode('normal');
  });

  it('starts with the wire format Vonage expects and accepts the right code', async () => {
    const client = h.client(api);
    expect(client.api).toBe(api);
    const before = h.sim.requests.length;
    const { requestId } = expectOk(await client.start(PHONE));
    expect(requestId).toMatch(api === 'v2' ? /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ : /^[0-9a-f]{32}$/);
    const sent = h.requests(before);
    expect(sent).toHaveLength(1);
    if (api === 'v2') {
      expect(sent[0]).toMatchObject({ method: 'POST', path: '/v2/verify', auth: 'bearer', contentType: 'application/json' });
      expect(sent[0].body).toEqual({
        brand: BRAND,
        code_length: 6,
        locale: 'en-us',
        channel_timeout: 300,
        workflow: [
          { channel: 'sms', to: DIGITS },
          { channel: 'voice', to: DIGITS },
        ],
      });
    } else {
      expect(sent[0]).toMatchObject({ method: 'POST', path: '/verify/json', auth: 'basic' });
      expect(sent[0].body).toEqual({ number: DIGITS, brand: BRAND, code_length: 6, lg: 'en-us', workflow_id: 5 });
    }
    const code = h.sim.lastCode(PHONE);
    expect(code).toMatch(/^\d{6}$/);
    expect(h.sim.sent.at(-1)).toMatchObject({ requestId, to: DIGITS, code, channel: 'sms', api });
    expectOk(await client.check(requestId, code!));
    // A used code is gone: Vonage answers "not found".
    expect(failureOf(await client.check(requestId, code!))).toBe('expired');
  });

  it('reports a wrong code, then accepts the right one', async () => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const code = h.sim.lastCode(PHONE)!;
    const wrong = code === '000000' ? '111111' : '000000';
    expect(failureOf(await client.check(requestId, wrong))).toBe('wrong-code');
    expectOk(await client.check(requestId, code));
  });

  it('kills the request on the third wrong code', async () => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const code = h.sim.lastCode(PHONE)!;
    const wrong = code === '123456' ? '654321' : '123456';
    expect(failureOf(await client.check(requestId, wrong))).toBe('wrong-code');
    expect(failureOf(await client.check(requestId, wrong))).toBe('wrong-code');
    expect(failureOf(await client.check(requestId, wrong))).toBe('too-many-attempts');
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
  });

  it('treats a malformed code as wrong without spending an attempt', async () => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const before = h.requests(0).length;
    expect(failureOf(await client.check(requestId, '12'))).toBe('wrong-code');
    expect(failureOf(await client.check(requestId, 'abc def ghi jkl'))).toBe('wrong-code');
    expect(h.requests(0).length).toBe(before);
    const code = h.sim.lastCode(PHONE)!;
    expectOk(await client.check(requestId, ` ${code.slice(0, 3)} ${code.slice(3)} `));
  });

  it('expires the code after expirySeconds (injected clock)', async () => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const code = h.sim.lastCode(PHONE)!;
    h.clock.advance(299);
    expect(failureOf(await client.check(requestId, code === '000000' ? '111111' : '000000'))).toBe('wrong-code');
    h.clock.advance(2);
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
  });

  it('answers concurrent with the running request id, and starts again once it is over', async () => {
    const client = h.client(api);
    const first = expectOk(await client.start(PHONE));
    const second = await client.start(PHONE);
    expect(second).toMatchObject({ ok: false, failure: 'concurrent', requestId: first.requestId });
    expect(h.sim.sent.filter((s) => s.requestId === first.requestId)).toHaveLength(1);
    h.clock.advance(301);
    const third = expectOk(await client.start(PHONE));
    expect(third.requestId).not.toBe(first.requestId);
  });

  it('cancels (legacy refuses within the first 30 s)', async () => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const code = h.sim.lastCode(PHONE)!;
    if (api === 'legacy') {
      expect(failureOf(await client.cancel(requestId))).toBe('cancel-too-soon');
      h.clock.advance(31);
    }
    expectOk(await client.cancel(requestId));
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
    expect(failureOf(await client.cancel(requestId))).toBe('expired');
    expectOk(await client.start(PHONE)); // the number is free again
  });

  it('resends through the next channel with the same code until none is left', async () => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const code = h.sim.lastCode(PHONE)!;
    const channels = api === 'v2' ? ['sms', 'voice'] : ['sms', 'tts']; // legacy: workflow 5, SMS then a call
    for (let i = 1; i < channels.length; i++) expectOk(await client.resend(requestId));
    expect(failureOf(await client.resend(requestId))).toBe('no-more-events');
    const mine = h.sim.sent.filter((s) => s.requestId === requestId);
    expect(mine.map((s) => s.channel)).toEqual(channels);
    expect(new Set(mine.map((s) => s.code))).toEqual(new Set([code]));
    if (api === 'v2') {
      expect(h.requests(0).at(-1)).toMatchObject({ method: 'POST', path: `/v2/verify/${requestId}/next_workflow` });
    } else {
      expect(h.requests(0).at(-1)?.body).toEqual({ request_id: requestId, cmd: 'trigger_next_event' });
    }
    expectOk(await client.check(requestId, code));
  });

  it('answers expired for requests it does not know', async () => {
    const client = h.client(api);
    const unknown = api === 'v2' ? '5f1d6a7e-0000-4000-8000-000000000000' : 'f'.repeat(32);
    expect(failureOf(await client.check(unknown, '123456'))).toBe('expired');
    expect(failureOf(await client.resend(unknown))).toBe('expired');
    expect(failureOf(await client.cancel(unknown))).toBe('expired');
    // Never sent to Vonage at all: a request id that would change the URL path.
    expect(failureOf(await client.check('../templates', '123456'))).toBe('expired');
  });
});
