// Each status Vonage documents for Verify v2 start, check, cancel and next_workflow (plus the
// generic ones the adapter maps), produced by the simulator and read by the real v2 adapter
// through the real SDK. The document and what it says: docs/verify-api-conformance.md.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorFailureMode } from '../../src/verify-simulator/index.ts';
import type { VerifyClient } from '../../src/verify/verify-client.ts';
import { PHONE, expectOk, failureOf, startHarness, type Harness } from './helpers.ts';

let h: Harness;
let client: VerifyClient;
beforeAll(async () => {
  h = await startHarness();
  client = h.client('v2');
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.clock.advance(3600); // every earlier request has expired
  h.sim.setFailureMode('normal');
});

/** The simulator's last answer; an error must be RFC 7807 problem+json with all four members. */
function lastReply(): { status: number; body: unknown } {
  const r = h.sim.requests.at(-1)?.reply;
  if (!r) throw new Error('the simulator did not answer');
  if (r.status >= 400) {
    expect(r.contentType).toBe('application/problem+json');
    expect(r.body).toMatchObject({
      type: expect.stringMatching(/^https:\/\/developer\.vonage\.com\/\S+#[a-z-]+$/),
      title: expect.any(String),
      detail: expect.any(String),
      instance: expect.any(String),
    });
  }
  return r;
}

async function started(): Promise<{ requestId: string; code: string }> {
  const { requestId } = expectOk(await client.start(PHONE));
  return { requestId, code: h.sim.lastCode(PHONE)! };
}
const wrongFor = (code: string): string => (code === '000000' ? '111111' : '000000');

describe('POST /v2/verify (start)', () => {
  it('202 {request_id} → ok; 409 names the running request → concurrent', async () => {
    const { requestId } = await started();
    expect(lastReply()).toEqual({ status: 202, contentType: 'application/json', body: { request_id: requestId } });
    expect(await client.start(PHONE)).toMatchObject({ ok: false, failure: 'concurrent', requestId });
    expect(lastReply()).toMatchObject({ status: 409, body: { request_id: requestId, title: 'Conflict' } });
  });

  it('422 invalid_parameters on `to` → invalid-number; 403 non-permitted destination → unreachable-number', async () => {
    expect(failureOf(await client.start('+1555'))).toBe('invalid-number');
    expect(lastReply()).toMatchObject({ status: 422, body: { invalid_parameters: [{ name: 'workflow[0].to' }, { name: 'workflow[1].to' }] } });
    expect(failureOf(await client.start('+99955550100'))).toBe('unreachable-number');
    expect(lastReply().status).toBe(403);
  });

  it.each<[SimulatorFailureMode, number, string]>([
    ['throttled', 429, 'throttled'],
    ['low-balance', 402, 'rejected'],
    ['barred', 403, 'rejected'],
    ['internal-error', 500, 'unavailable'],
    ['down', 503, 'unavailable'],
  ])('%s: %i → %s, nothing sent', async (mode, status, failure) => {
    const sent = h.sim.sent.length;
    h.sim.setFailureMode(mode);
    expect(failureOf(await client.start(PHONE))).toBe(failure);
    expect(lastReply().status).toBe(status);
    expect(h.sim.sent.length).toBe(sent);
  });
});

describe('POST /v2/verify/{id} (check)', () => {
  it('200 completed → ok, then 404 → expired', async () => {
    const { requestId, code } = await started();
    expectOk(await client.check(requestId, code));
    expect(lastReply()).toMatchObject({ status: 200, body: { request_id: requestId, status: 'completed' } });
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
    expect(lastReply()).toMatchObject({ status: 404, body: { title: 'Not Found' } });
  });

  it('400 → wrong-code twice, 410 → too-many-attempts, then 404 → expired', async () => {
    const { requestId, code } = await started();
    for (const want of [[400, 'wrong-code'], [400, 'wrong-code'], [410, 'too-many-attempts']] as const) {
      expect(failureOf(await client.check(requestId, wrongFor(code)))).toBe(want[1]);
      expect(lastReply().status).toBe(want[0]);
    }
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
    expect(lastReply().status).toBe(404);
  });

  it('409 on a step that takes no code → expired; nothing spent, the next workflow takes the code', async () => {
    const { requestId, code } = await started();
    expect(h.sim.setCurrentChannel(requestId, 'silent_auth')).toBe(true);
    expect(failureOf(await client.check(requestId, code))).toBe('expired');
    expect(lastReply()).toMatchObject({ status: 409, body: { type: expect.stringMatching(/#no-code$/) } });
    expectOk(await client.resend(requestId));
    expectOk(await client.check(requestId, code));
  });

  it('429 → throttled, and the code still works afterwards', async () => {
    const { requestId, code } = await started();
    h.sim.setFailureMode('throttled');
    expect(failureOf(await client.check(requestId, code))).toBe('throttled');
    expect(lastReply().status).toBe(429);
    h.sim.setFailureMode('normal');
    expectOk(await client.check(requestId, code));
  });
});

describe('DELETE /v2/verify/{id} (cancel)', () => {
  it('204 → ok; a cancelled or verified request → 404 → expired', async () => {
    const first = await started();
    expectOk(await client.cancel(first.requestId));
    expect(lastReply()).toEqual({ status: 204, contentType: undefined, body: undefined });
    expect(failureOf(await client.cancel(first.requestId))).toBe('expired');
    expect(lastReply().status).toBe(404);
    const second = await started();
    expectOk(await client.check(second.requestId, second.code));
    expect(failureOf(await client.cancel(second.requestId))).toBe('expired');
    expect(lastReply().status).toBe(404);
  });

  it('a request that expired or failed → 409 → expired (the refusal path)', async () => {
    const timedOut = await started();
    h.clock.advance(301);
    expect(failureOf(await client.cancel(timedOut.requestId))).toBe('expired');
    expect(lastReply()).toMatchObject({ status: 409, body: { type: expect.stringMatching(/#expired$/) } });
    const failed = await started();
    for (let i = 0; i < 3; i++) await client.check(failed.requestId, wrongFor(failed.code));
    expect(failureOf(await client.cancel(failed.requestId))).toBe('expired');
    expect(lastReply().status).toBe(409);
  });

  it('429 → throttled, and the request keeps running', async () => {
    const { requestId, code } = await started();
    h.sim.setFailureMode('throttled');
    expect(failureOf(await client.cancel(requestId))).toBe('throttled');
    expect(lastReply().status).toBe(429);
    h.sim.setFailureMode('normal');
    expectOk(await client.check(requestId, code));
  });
});

describe('POST /v2/verify/{id}/next_workflow (resend)', () => {
  it('200 → ok; 409 no events left → no-more-events; 404 → expired', async () => {
    const { requestId, code } = await started();
    expectOk(await client.resend(requestId));
    expect(lastReply()).toMatchObject({ status: 200, body: undefined });
    expect(failureOf(await client.resend(requestId))).toBe('no-more-events');
    expect(lastReply()).toMatchObject({ status: 409, body: { type: expect.stringMatching(/#no-events$/) } });
    expectOk(await client.check(requestId, code));
    expect(failureOf(await client.resend(requestId))).toBe('expired');
    expect(lastReply().status).toBe(404);
  });

  it.each<[SimulatorFailureMode, number, string]>([
    ['low-balance', 402, 'rejected'],
    ['throttled', 429, 'throttled'],
  ])('%s: %i → %s, nothing sent', async (mode, status, failure) => {
    const { requestId } = await started();
    const sent = h.sim.sent.length;
    h.sim.setFailureMode(mode);
    expect(failureOf(await client.resend(requestId))).toBe(failure);
    expect(lastReply().status).toBe(status);
    expect(h.sim.sent.length).toBe(sent);
  });
});
