// What the adapters make of bad numbers, bad credentials and a sick Vonage, for both APIs —
// and that no `detail` ever carries a request id, a code, a credential or a header.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VerifyResult } from '../../src/verify/verify-client.ts';
import {
  API_KEY,
  API_SECRET,
  KEYS,
  PHONE,
  expectOk,
  failureOf,
  rsaPair,
  secretsIn,
  startHarness,
  type Api,
  type Harness,
} from './helpers.ts';

describe.each<Api>(['v2', 'legacy'])('%s adapter failures', (api) => {
  let h: Harness;
  const results: VerifyResult[] = [];
  const secrets: string[] = [API_SECRET, KEYS.privateKey.slice(40, 80), 'Basic ', 'Bearer ', 'authorization', 'eyJ'];
  const keep = <T extends VerifyResult>(r: T): T => {
    results.push(r);
    return r;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
    // Every detail produced in this block, checked against every secret seen in it.
    expect(results.length).toBeGreaterThan(10);
    for (const r of results) {
      if (r.ok) continue;
      expect(typeof r.detail).toBe('string');
      expect(r.detail!.length).toBeLessThan(100);
      expect(secretsIn(r.detail, secrets)).toEqual([]);
    }
  });
  beforeEach(() => {
    h.clock.advance(3600);
    h.sim.setFailureMode('normal');
  });
  afterEach(() => {
    h.sim.setFailureMode('normal');
  });

  it('invalid number → invalid-number; unsupported network → unreachable-number', async () => {
    const client = h.client(api);
    expect(failureOf(keep(await client.start('+1555')))).toBe('invalid-number');
    expect(failureOf(keep(await client.start('not a phone')))).toBe('invalid-number');
    expect(failureOf(keep(await client.start('+99955550100')))).toBe('unreachable-number');
    expect(h.sim.sent).toHaveLength(0);
  });

  it('bad credentials → rejected', async () => {
    const bad =
      api === 'v2'
        ? [h.client(api, { privateKey: rsaPair().privateKey }), h.client(api, { applicationId: randomUUID() })]
        : [h.client(api, { apiSecret: 'wrong-secret' }), h.client(api, { apiKey: 'nobody', apiSecret: API_SECRET })];
    for (const client of bad) {
      const r = keep(await client.start(PHONE));
      expect(failureOf(r)).toBe('rejected');
      expect(r.ok ? '' : r.detail).toMatch(api === 'v2' ? /^v2 start 401 Unauthorized/ : /^legacy start status 4$/);
      // check/resend/cancel with bad credentials are rejected too, not "expired"
      const id = api === 'v2' ? randomUUID() : 'a'.repeat(32);
      expect(failureOf(keep(await client.check(id, '123456')))).toBe('rejected');
      expect(failureOf(keep(await client.cancel(id)))).toBe('rejected');
    }
    expect(h.sim.sent).toHaveLength(0);
  });

  it.each(['down', 'reset', 'garbage', 'garbage-json'] as const)('%s → unavailable for every call', async (mode) => {
    const client = h.client(api);
    const { requestId } = expectOk(await client.start(PHONE));
    const code = h.sim.lastCode(PHONE)!;
    h.sim.setFailureMode(mode);
    expect(failureOf(keep(await client.start('+15555550199')))).toBe('unavailable');
    expect(failureOf(keep(await client.check(requestId, code)))).toBe('unavailable');
    if (mode !== 'garbage-json') {
      // 200 + any JSON is indistinguishable from success for cancel/next_workflow on v2
      expect(failureOf(keep(await client.resend(requestId)))).toBe('unavailable');
      expect(failureOf(keep(await client.cancel(requestId)))).toBe('unavailable');
    }
    h.sim.setFailureMode('normal');
    expectOk(await client.check(requestId, code)); // nothing was consumed while it was sick
  });

  it('slow → unavailable after the client timeout, not after the slow answer', async () => {
    const client = h.client(api, { timeoutMs: 300 });
    h.sim.setFailureMode('slow');
    const t0 = performance.now();
    const r = keep(await client.start(PHONE));
    const elapsed = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, failure: 'unavailable', detail: `${api} start timeout` });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it('a closed port → unavailable (network error)', async () => {
    const gone = await startHarness();
    const client = gone.client(api);
    await gone.close();
    const r = keep(await client.start(PHONE));
    expect(r).toMatchObject({ ok: false, failure: 'unavailable', detail: `${api} start network error` });
  });

  it('details never name the request id or the code, and nothing is logged', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    try {
      const client = h.client(api);
      const { requestId } = expectOk(await client.start(PHONE));
      const code = h.sim.lastCode(PHONE)!;
      const wrong = code === '000000' ? '999999' : '000000';
      const mine = [
        await client.start(PHONE), // concurrent: legacy error_text and v2 body both carry the id
        await client.check(requestId, wrong),
        await client.cancel(requestId),
        await client.resend(requestId),
        await client.resend(requestId),
        await client.resend(requestId),
        await client.check(requestId, wrong),
        await client.check(requestId, wrong),
        await client.check(requestId, code),
      ].map(keep);
      const failures = mine.filter((r) => !r.ok);
      expect(failures.length).toBeGreaterThanOrEqual(5);
      for (const r of failures) expect(secretsIn(r.detail, [requestId, code, wrong, PHONE.slice(1), API_KEY])).toEqual([]);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
