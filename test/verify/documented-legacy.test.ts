// Each `status` Vonage documents for legacy Verify request, check and control (cancel /
// trigger_next_event), produced by the simulator and read by the real legacy adapter through the
// real SDK. Legacy answers HTTP 200 with a string `status`. Sources: docs/verify-api-conformance.md.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorFailureMode } from '../../src/verify-simulator/index.ts';
import type { VerifyClient } from '../../src/verify/verify-client.ts';
import { PHONE, expectOk, failureOf, startHarness, type Harness } from './helpers.ts';

let h: Harness;
let client: VerifyClient;
beforeAll(async () => {
  h = await startHarness();
  client = h.client('legacy');
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.clock.advance(3600); // every earlier request has expired
  h.sim.setFailureMode('normal');
});

/** The simulator's last answer: HTTP 200, a string `status`, and an `error_text` unless it is "0". */
function lastBody(): Record<string, unknown> {
  const r = h.sim.requests.at(-1)?.reply;
  if (!r) throw new Error('the simulator did not answer');
  expect(r).toMatchObject({ status: 200, contentType: 'application/json' });
  const body = r.body as Record<string, unknown>;
  expect(body.status).toMatch(/^\d+$/);
  if (body.status !== '0') expect(body.error_text).toEqual(expect.any(String));
  return body;
}

async function started(): Promise<{ requestId: string; code: string }> {
  const { requestId } = expectOk(await client.start(PHONE));
  return { requestId, code: h.sim.lastCode(PHONE)! };
}
const wrongFor = (code: string): string => (code === '000000' ? '111111' : '000000');

describe('/verify/json (request)', () => {
  it('0 → ok; 10 carries the running request_id → concurrent', async () => {
    const { requestId } = await started();
    expect(lastBody()).toEqual({ request_id: requestId, status: '0' });
    expect(await client.start(PHONE)).toMatchObject({ ok: false, failure: 'concurrent', requestId });
    expect(lastBody()).toMatchObject({ status: '10', request_id: requestId });
  });

  it.each([
    ['+1555', '3', 'invalid-number'],
    ['+99955550100', '15', 'unreachable-number'],
    ['+99901550100', '6', 'unreachable-number'],
    ['+99902550100', '29', 'unreachable-number'],
    ['+99900550100', '7', 'rejected'], // blacklisted: the operator must have the network unblocked
  ])('%s: status %s → %s, nothing sent', async (phone, status, failure) => {
    expect(failureOf(await client.start(phone))).toBe(failure);
    const body = lastBody();
    expect(body.status).toBe(status);
    if (status === '7') expect(body).toMatchObject({ network: expect.any(String) });
    if (status === '7') expect(body).not.toHaveProperty('request_id');
    expect(h.sim.sent.filter((s) => s.to === phone.slice(1))).toHaveLength(0);
  });

  it.each<[SimulatorFailureMode, string, string]>([
    ['throttled', '1', 'throttled'],
    ['internal-error', '5', 'unavailable'],
    ['barred', '8', 'rejected'],
    ['low-balance', '9', 'rejected'],
  ])('%s: status %s → %s, nothing sent', async (mode, status, failure) => {
    const sent = h.sim.sent.length;
    h.sim.setFailureMode(mode);
    expect(failureOf(await client.start(PHONE))).toBe(failure);
    expect(lastBody().status).toBe(status);
    expect(h.sim.sent.length).toBe(sent);
  });
});

describe('/verify/check/json', () => {
  it('0 with the documented fields → ok; then 6 → expired', async () => {
    const { requestId, code } = await started();
    expectOk(await client.check(requestId, code));
    expect(Object.keys(lastBody()).sort()).toEqual(['currency', 'estimated_price_messages_sent', 'event_id', 'price', 'request_id', 'status']);
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
    expect(lastBody().status).toBe('6');
  });

  it('16 → wrong-code twice, 17 → too-many-attempts', async () => {
    const { requestId, code } = await started();
    for (const [status, failure] of [['16', 'wrong-code'], ['16', 'wrong-code'], ['17', 'too-many-attempts']]) {
      expect(failureOf(await client.check(requestId, wrongFor(code)))).toBe(failure);
      expect(lastBody().status).toBe(status);
    }
  });

  it('3 on request_id → expired; 3 on code → wrong-code without spending an attempt', async () => {
    const { requestId, code } = await started();
    expect(failureOf(await client.check(`${requestId}0`, code))).toBe('expired');
    expect(lastBody()).toMatchObject({ status: '3', error_text: 'Invalid value for param: request_id' });
    const sentBefore = h.sim.requests.length;
    for (let i = 0; i < 3; i++) {
      // Not VERIFY_CODE_LENGTH digits: refused before Vonage (which would answer 3) ever sees it.
      expect(failureOf(await client.check(requestId, '1234567'))).toBe('wrong-code');
    }
    expect(h.sim.requests.length).toBe(sentBefore);
    expectOk(await client.check(requestId, code));
  });

  it.each<[SimulatorFailureMode, string, string]>([
    ['throttled', '1', 'throttled'],
    ['internal-error', '5', 'unavailable'],
  ])('%s: status %s → %s, the code still works afterwards', async (mode, status, failure) => {
    const { requestId, code } = await started();
    h.sim.setFailureMode(mode);
    expect(failureOf(await client.check(requestId, code))).toBe(failure);
    expect(lastBody().status).toBe(status);
    h.sim.setFailureMode('normal');
    expectOk(await client.check(requestId, code));
  });
});

describe('/verify/control/json cmd=cancel', () => {
  it('19 within 30 s → cancel-too-soon; 0 after → ok; then 6 → expired', async () => {
    const { requestId } = await started();
    expect(failureOf(await client.cancel(requestId))).toBe('cancel-too-soon');
    expect(lastBody()).toMatchObject({ status: '19', error_text: expect.stringContaining('within the first 30 seconds') });
    h.clock.advance(31);
    expectOk(await client.cancel(requestId));
    expect(lastBody()).toEqual({ status: '0', command: 'cancel' });
    expect(failureOf(await client.cancel(requestId))).toBe('expired');
    expect(lastBody().status).toBe('6');
  });

  it('19 after a re-delivery → cancel-too-soon; 3 on request_id → expired', async () => {
    const { requestId } = await started();
    h.clock.advance(31);
    expectOk(await client.resend(requestId));
    expect(failureOf(await client.cancel(requestId))).toBe('cancel-too-soon');
    expect(lastBody()).toMatchObject({ status: '19', error_text: expect.stringContaining('Too many attempts to re-deliver') });
    expect(failureOf(await client.cancel(`${requestId}0`))).toBe('expired');
    expect(lastBody().status).toBe('3');
  });

  it.each<[SimulatorFailureMode, string, string]>([
    ['throttled', '1', 'throttled'],
    ['barred', '8', 'rejected'],
    ['low-balance', '9', 'rejected'],
  ])('%s: status %s → %s', async (mode, status, failure) => {
    const { requestId } = await started();
    h.clock.advance(31);
    h.sim.setFailureMode(mode);
    expect(failureOf(await client.cancel(requestId))).toBe(failure);
    expect(lastBody().status).toBe(status);
  });
});

describe('/verify/control/json cmd=trigger_next_event', () => {
  it('0 → ok until 19 → no-more-events; 6 once it is over', async () => {
    const { requestId, code } = await started();
    for (let i = 0; i < 1; i++) {
      // workflow 5 (VERIFY_WORKFLOW's default sms,voice): one re-delivery, by voice
      expectOk(await client.resend(requestId));
      expect(lastBody()).toEqual({ status: '0', command: 'trigger_next_event' });
    }
    expect(failureOf(await client.resend(requestId))).toBe('no-more-events');
    expect(lastBody()).toMatchObject({ status: '19', error_text: expect.stringContaining('No more events') });
    expectOk(await client.check(requestId, code));
    expect(failureOf(await client.resend(requestId))).toBe('expired');
    expect(lastBody().status).toBe('6');
  });

  it.each<[SimulatorFailureMode, string, string]>([
    ['throttled', '1', 'throttled'],
    ['low-balance', '9', 'rejected'],
  ])('%s: status %s → %s, nothing sent', async (mode, status, failure) => {
    const { requestId } = await started();
    const sent = h.sim.sent.length;
    h.sim.setFailureMode(mode);
    expect(failureOf(await client.resend(requestId))).toBe(failure);
    expect(lastBody().status).toBe(status);
    expect(h.sim.sent.length).toBe(sent);
  });
});
