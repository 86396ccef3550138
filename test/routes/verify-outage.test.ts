// A Verify API that is down, slow or answers garbage: the user gets a 503 page saying so, nothing
// is lost, and the sign-in can be retried once it is back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { Api, TestApp } from '../helpers/test-app.ts';
import type { SimulatorFailureMode } from '../../src/verify-simulator/index.ts';

const OUTAGES: SimulatorFailureMode[] = ['down', 'slow', 'garbage', 'reset'];

describe.each<Api>(['v2', 'legacy'])('Verify outages over the %s API', (api) => {
  let t: TestApp;
  beforeEach(async () => {
    // The app gives up after VERIFY_TIMEOUT_MS=400 (not the test apps' 1000: each slow test waits
    // it out); the simulator answers after 1.5 s when slow, long after.
    t = await startTestApp({ api, simulator: { slowMs: 1500 }, env: { VERIFY_TIMEOUT_MS: '400' } });
  });
  afterEach(() => t.close());

  it.each(OUTAGES)('%s at the password step: 503 page with the form, then a retry succeeds', async (mode) => {
    const c = t.client();
    t.sim.setFailureMode(mode);
    const failed = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['retry-after']).toBe('5');
    expect(failed.body).toContain("couldn&#39;t reach the verification service");
    expect(failed.body).toContain('value="alice@example.com"'); // the email typed is kept
    expect(c.sessionId()).toBeUndefined();

    t.sim.setFailureMode('normal');
    const retried = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe('/login/code');
  });

  it.each(OUTAGES)('%s at the code step: 503 with the code form, the sign-in stays pending', async (mode) => {
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    t.sim.setFailureMode(mode);
    const failed = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['retry-after']).toBe('5');
    expect(failed.body).toContain('name="code"');
    t.sim.setFailureMode('normal');
    const retried = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe('/');
  });

  it('a wrong-shaped JSON answer counts as an outage, not a success', async () => {
    const c = t.client();
    t.sim.setFailureMode('garbage-json');
    const failed = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(failed.statusCode).toBe(503);
    expect((await c.get('/')).headers.location).toBe('/login');
  });

  it('logs the outage without the Verify credentials', async () => {
    t.sim.setFailureMode('down');
    await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
    const logs = t.logs.join('');
    expect(logs).toMatch(/verify start failed: unavailable/);
    expect(logs).not.toMatch(/Bearer |Basic |BEGIN PRIVATE KEY|test-api-secret/);
  });
});

describe('a Verify API that cannot be reached at all', () => {
  it('answers 503 when nothing listens at VONAGE_API_HOST', async () => {
    const t = await startTestApp({ api: 'legacy', env: { VONAGE_API_HOST: 'http://127.0.0.1:9' } });
    try {
      const res = await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
      expect(res.statusCode).toBe(503);
    } finally {
      await t.close();
    }
  });
});

describe('Vonage refusing our credentials', () => {
  it('tells the user it is a problem on our side (503) and logs it as an error', async () => {
    const t = await startTestApp({ api: 'legacy', env: { VONAGE_API_SECRET: 'wrong-secret' } });
    try {
      const res = await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('problem on our side');
      expect(t.logs.join('')).toMatch(/"level":50[^\n]*verify start failed: rejected/);
      expect(t.logs.join('')).not.toContain('wrong-secret');
    } finally {
      await t.close();
    }
  });
});
